-- Request counts per client and route for the rate limits (sign-in, self-referral, outcome links),
-- kept in the database so they survive a restart and are shared by every app process. Not tenant
-- data: the key is an HMAC of the route and client address, never the address itself.
CREATE TABLE rate_limit_counter (
  key text PRIMARY KEY,
  window_start timestamptz NOT NULL,
  hits integer NOT NULL
);
CREATE INDEX rate_limit_counter_window_start ON rate_limit_counter (window_start);
-- Only the owner (the web layer, before any tenant is known) counts requests.
REVOKE ALL ON rate_limit_counter FROM signpost_app;

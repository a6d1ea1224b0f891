-- Systems that call Signpost as systems (a GP system sending referrals over FHIR), authenticated
-- with SMART backend services: the client signs a JWT with its own private key and exchanges it
-- for a short-lived bearer token. We keep only the client's public keys and each token's SHA-256.

CREATE TABLE api_client (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  -- Also the OAuth client id the system puts in iss and sub of its assertions.
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  -- SMART system scopes, e.g. {system/ServiceRequest.write, system/Task.read}.
  scopes text[] NOT NULL CHECK (cardinality(scopes) >= 1),
  -- A JSON Web Key Set holding the client's public keys (a single pasted JWK is stored as a set of one).
  jwks jsonb NOT NULL,
  -- Referrals from this system are from this practice, when it is one practice's system.
  practice_id uuid,
  created_by uuid REFERENCES app_user (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  revoked_by uuid REFERENCES app_user (id),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, practice_id) REFERENCES practice (tenant_id, id)
);
CREATE INDEX api_client_id ON api_client (id);

-- Bearer tokens issued at /oauth/token: the SHA-256 of the token, never the token.
CREATE TABLE api_token (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  token_hash text NOT NULL,
  client_id uuid NOT NULL,
  scopes text[] NOT NULL,
  issued_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, token_hash),
  FOREIGN KEY (tenant_id, client_id) REFERENCES api_client (tenant_id, id)
);
CREATE INDEX api_token_hash ON api_token (token_hash);
CREATE INDEX api_token_expiry ON api_token (tenant_id, expires_at);

-- Assertion ids (jti) already used, kept until the assertion would have expired anyway, so a
-- captured assertion cannot be replayed.
CREATE TABLE api_assertion (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  client_id uuid NOT NULL,
  jti text NOT NULL CHECK (length(jti) BETWEEN 1 AND 255),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, client_id, jti),
  FOREIGN KEY (tenant_id, client_id) REFERENCES api_client (tenant_id, id)
);

-- Which system sent which referral over FHIR, and the identifier it gave the ServiceRequest: a
-- system sees (and may cancel) only its own referrals.
CREATE TABLE fhir_referral (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  referral_id uuid NOT NULL,
  client_id uuid NOT NULL,
  -- ServiceRequest.identifier as the sender gave it: [{ system, value }].
  identifiers jsonb NOT NULL DEFAULT '[]'::jsonb,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, referral_id),
  FOREIGN KEY (tenant_id, referral_id) REFERENCES referral (tenant_id, id),
  FOREIGN KEY (tenant_id, client_id) REFERENCES api_client (tenant_id, id)
);
CREATE INDEX fhir_referral_client ON fhir_referral (tenant_id, client_id, received_at);

ALTER TABLE api_client ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_client FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_client USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

ALTER TABLE api_token ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_token FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_token USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

ALTER TABLE api_assertion ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_assertion FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_assertion USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

ALTER TABLE fhir_referral ENABLE ROW LEVEL SECURITY;
ALTER TABLE fhir_referral FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON fhir_referral USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

-- Before a tenant is known, the token endpoint has only a client id and a bearer call only a
-- token. These two functions answer "which tenant?" for exactly that one value and nothing more,
-- so row-level security can then confine the rest of the request as usual.
CREATE FUNCTION api_client_tenant(client uuid) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT tenant_id FROM api_client WHERE id = client
$$;

CREATE FUNCTION api_token_tenant(hash text) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT tenant_id FROM api_token WHERE token_hash = hash
$$;

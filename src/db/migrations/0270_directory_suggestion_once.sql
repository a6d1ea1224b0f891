-- A public suggestion sent twice (a double click, a resend after a slow page) is one suggestion:
-- an open suggestion or problem report with the same service, kind, words and reply address
-- exists once. The public form has no tenant for a one-time form token, so the content is the key.

-- Identical open suggestions already queued are closed as duplicates of the first.
UPDATE directory_change_request d
   SET status = 'rejected', decision_reason = 'The same suggestion was sent more than once; the first is kept.', decided_at = now()
 WHERE d.status = 'open' AND d.kind IN ('suggestion', 'problem')
   AND EXISTS (
     SELECT 1 FROM directory_change_request first
      WHERE first.status = 'open' AND first.service_id = d.service_id AND first.kind = d.kind
        AND first.details = d.details AND coalesce(first.reply_email, '') = coalesce(d.reply_email, '')
        AND (first.created_at, first.id) < (d.created_at, d.id));

CREATE UNIQUE INDEX directory_change_request_once ON directory_change_request
  (service_id, kind, md5(details), coalesce(reply_email, ''))
  WHERE status = 'open' AND kind IN ('suggestion', 'problem');

-- Some messages carry a secret in their personalisation: a sign-in invitation, a password reset or
-- an outcome-measure link holds a token that works until it expires. The outbox names those keys so
-- that the value is removed once GOV.UK Notify has the message (or it has failed for good): the
-- database then keeps only the token's hash, as the token tables intend.
ALTER TABLE notification ADD COLUMN secret_keys text[] NOT NULL DEFAULT '{}';

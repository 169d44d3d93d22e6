-- "My cases" (api/routes/home.ts): a person's cases are found by their address on either side of
-- a case (and through notifications_email for everyone emailed), not by reading every case.
CREATE INDEX cases_raiser_email ON cases (lower(raiser->>'email'));
CREATE INDEX cases_other_party_email ON cases (lower(other_party->>'email'));

-- Photos buyers upload (issue 15: reviews with photos). `user_media` says which user uploaded
-- which photo (the photo itself is the platform's `media` row, migration 030); a review may
-- name only photos its author uploaded, and the per-user quota counts these rows. Distributed
-- by user_id like the buyer's other lists (docs/scale-out.md).
--
-- From this migration on, `reviews.photos` holds the review's photos as a JSON list of media
-- ids (SHA-256 hex), not URLs: the API derives each size's URL (media::MediaUrl). Every review
-- before it has '[]'.
CREATE TABLE user_media(
  user_id INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  PRIMARY KEY(user_id, sha256)
);

-- 064 (issue 20, decision 045): the exposure guarantee's head as a share of the active merchants
-- (ExposurePolicy::head_share_bps; the shipped default is the top 20% by GMV, the head the market
-- simulator measured). A settings row saved before keeps the count its admin chose (share 0).
ALTER TABLE feed_settings ADD COLUMN head_share_bps BIGINT NOT NULL DEFAULT 0;

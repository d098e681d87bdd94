-- The feed's ranking model (issue 20, decision 027; insight/ranking_model.h): one row per
-- training, the newest kKeepModels kept. weights: {"click":[…], "buy":[…], "click_auc",
-- "buy_auc", "holdout_examples"} (feed::FeatureVector order); AUCs also as integer parts per
-- million for reports. Numbered 040, the next number free across the migration lists (037–039
-- are other branches' trading migrations), though this list is the analytics store's own.
CREATE TABLE ranking_models(
  version INTEGER PRIMARY KEY,
  trained_at_ms INTEGER NOT NULL,
  examples INTEGER NOT NULL,
  click_auc_ppm INTEGER NOT NULL,
  buy_auc_ppm INTEGER NOT NULL,
  weights TEXT NOT NULL
);

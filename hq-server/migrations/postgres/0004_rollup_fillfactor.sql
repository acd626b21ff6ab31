-- Room on every page of the report roll-ups for the new row versions that ingestion's upserts
-- write: with the old version on the same page, PostgreSQL updates in place (HOT) and leaves
-- the primary-key index alone. Tables and columns are unchanged.
ALTER TABLE sales_day SET (fillfactor = 60);
ALTER TABLE sales_month_product SET (fillfactor = 60);
ALTER TABLE sales_year_product SET (fillfactor = 60);
ALTER TABLE stock_on_hand SET (fillfactor = 60);

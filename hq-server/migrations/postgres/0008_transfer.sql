-- A transfer's destination warehouse (调拨单); NULL for every other document type. A stock
-- count (盘点单) needs no column: its lines are the differences it posted.
ALTER TABLE document ADD COLUMN to_warehouse TEXT;

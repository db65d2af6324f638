-- Reports that read every principal (the dormant report counts them by kind and reads
-- its page side by side, on two connections) were slower with PostgreSQL's parallel
-- workers: two scans with their workers shared two cores, and each took twice as long
-- as alone (about 50 ms instead of 25 ms over 100,000 principals). A console serves
-- many people at once, so a scan of principals uses one process.
ALTER TABLE principals SET (parallel_workers = 0);

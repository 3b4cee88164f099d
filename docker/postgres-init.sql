-- One database per service (DESIGN.md: each service owns its data), plus the scheduler's job
-- store. Runs once, when the postgres volume is first created.
CREATE DATABASE staffing;
CREATE DATABASE supplies;
CREATE DATABASE training;
CREATE DATABASE scheduler;

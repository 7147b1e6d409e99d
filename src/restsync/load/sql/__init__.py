"""SQL helpers shared by the SQL destinations (DuckDB, PostgreSQL): names, dispositions,
state table, stored schema."""

"""All SQL: the registry database (SQLite), its schema and one repository per table group."""

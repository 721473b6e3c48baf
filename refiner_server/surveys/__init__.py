"""Survey definitions and their answers: the validator and its field tables, the JSON Schema,
the versioned store, summaries and exports."""

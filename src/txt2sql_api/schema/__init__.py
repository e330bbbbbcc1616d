"""What the model is shown of the database: introspection, sample values, pruning, rendering."""

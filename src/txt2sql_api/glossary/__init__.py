"""The glossary users edit: business terms, what they mean, and the SQL that expresses them."""

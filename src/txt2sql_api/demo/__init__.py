"""The bundled city-metro demo database and its verified examples."""

"""Gazetteers and linking: administrative divisions, places, organisations, countries (gazetteer)."""

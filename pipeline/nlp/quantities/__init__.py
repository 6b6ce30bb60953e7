"""Numbers and quantities: numbers in every written form (numbers), units, values and qualifiers
(grammar)."""

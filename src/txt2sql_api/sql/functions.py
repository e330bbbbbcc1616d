"""The functions generated SQL may call: an allow-list of PostgreSQL's built-ins for analytic
SQL, vetted family by family. Everything else is `forbidden_function`: every other built-in
(settings readers, file and server access, functions that write inside READ ONLY, `setseed`,
`version()` and other server details), every extension function and every user-defined one,
unless the operator names it, schema-qualified, in `TXT2SQL_ALLOWED_FUNCTIONS`.

What a family leaves out, and why, is said beside it. A few built-ins are allowed with bounds
(`BOUNDED`): their arguments decide how much memory or how many rows one call makes, so they
must be small literals the guard can read.
"""

from __future__ import annotations

from collections.abc import Mapping

FAMILIES: Mapping[str, frozenset[str]] = {
    # Ordered-set and hypothetical aggregates included; none reads anything but its input.
    "aggregates": frozenset(
        """
        count sum avg min max string_agg array_agg bool_and bool_or every bit_and bit_or bit_xor
        json_agg jsonb_agg json_object_agg jsonb_object_agg stddev stddev_pop stddev_samp
        variance var_pop var_samp corr covar_pop covar_samp regr_slope regr_intercept regr_r2
        regr_count regr_avgx regr_avgy regr_sxx regr_syy regr_sxy percentile_cont
        percentile_disc mode any_value
        """.split()
    ),
    "window functions": frozenset(
        """
        row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value
        nth_value
        """.split()
    ),
    "conditional expressions and row constructors": frozenset(
        "coalesce nullif greatest least num_nulls num_nonnulls row".split()
    ),
    # random() is kept (sampling); setseed() is not: its state outlives the pooled session.
    "mathematics": frozenset(
        """
        abs ceil ceiling floor round trunc sign sqrt cbrt power pow exp ln log log10 mod div pi
        degrees radians sin cos tan asin acos atan atan2 sinh cosh tanh asinh acosh atanh cot
        width_bucket gcd lcm factorial scale min_scale trim_scale random
        """.split()
    ),
    # No convert_from/convert_to on arbitrary encodings, no quote_* (they build SQL text).
    "strings": frozenset(
        """
        length char_length character_length octet_length bit_length lower upper initcap trim
        btrim ltrim rtrim substring substr left right position strpos replace translate concat
        concat_ws split_part starts_with reverse format to_char to_number to_date to_timestamp
        regexp_replace regexp_match regexp_matches regexp_split_to_array regexp_split_to_table
        regexp_like regexp_count regexp_substr regexp_instr overlay chr ascii string_to_array
        array_to_string to_hex md5 encode decode like ilike
        """.split()
    ),
    # now() and the *_timestamp functions read the clock; nothing here reads server state.
    "date and time": frozenset(
        """
        now current_date current_time current_timestamp localtime localtimestamp
        statement_timestamp transaction_timestamp clock_timestamp date_trunc date_part extract
        age make_date make_time make_timestamp make_timestamptz make_interval justify_days
        justify_hours justify_interval isfinite date_bin timezone date_add date_subtract
        to_timestamp
        """.split()
    ),
    # Path queries included: they read the JSON given, never a table.
    "json and jsonb": frozenset(
        """
        json_build_object jsonb_build_object json_build_array jsonb_build_array to_json to_jsonb
        json_array_length jsonb_array_length json_extract_path jsonb_extract_path
        json_extract_path_text jsonb_extract_path_text json_each jsonb_each json_each_text
        jsonb_each_text json_array_elements jsonb_array_elements json_array_elements_text
        jsonb_array_elements_text json_object_keys jsonb_object_keys json_typeof jsonb_typeof
        jsonb_set jsonb_insert jsonb_strip_nulls json_strip_nulls jsonb_pretty jsonb_path_query
        jsonb_path_exists jsonb_path_match jsonb_path_query_array jsonb_path_query_first
        row_to_json array_to_json json_object jsonb_object jsonb_contains
        """.split()
    ),
    # array_fill is left out: its size argument allocates.
    "arrays": frozenset(
        """
        array_length cardinality unnest array_position array_positions array_append
        array_prepend array_cat array_remove array_replace array_upper array_lower array_dims
        array_ndims generate_subscripts
        """.split()
    ),
    # On XML values the query holds; xpath_table (which runs SQL given as text) is not here.
    "xml": frozenset("xpath xpath_exists xmlparse xmlserialize xml_is_well_formed".split()),
    "bounded": frozenset("repeat lpad rpad generate_series current_setting".split()),
}

ALLOWED: frozenset[str] = frozenset().union(*FAMILIES.values())

# The most characters `repeat`/`lpad`/`rpad` may make, and rows `generate_series` may.
MAX_TEXT_CHARS = 1_000
MAX_SERIES_ROWS = 100_000
# The settings `current_setting` may read: how dates, times and numbers are shown. Custom ones
# (`app.jwt_secret`, a common place for secrets) and the server's paths are not.
READABLE_SETTINGS = frozenset(
    "timezone datestyle intervalstyle lc_monetary lc_numeric lc_time extra_float_digits".split()
)
BOUNDED: frozenset[str] = FAMILIES["bounded"]

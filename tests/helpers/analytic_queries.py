"""Legitimate analytic SQL over the demo (`dtzpt` stations, `xlxx` lines, `zdkl_rtj` daily
flows, `hczxx` transfers, `ssxx` facilities, view `v_zdrjkl`): CTEs, window functions, date
arithmetic, JSON, arrays, set operations, and every demo example's SQL. The guard must pass
every one and the database must run every one, so the function allow-list is not a wall."""

from __future__ import annotations

from txt2sql_api.demo.loader import demo_examples

_WRITTEN: list[str] = [
    # Aggregates and grouping.
    "SELECT count(*) FROM dtzpt",
    "SELECT xlbh, count(*) AS n FROM dtzpt GROUP BY xlbh ORDER BY n DESC",
    "SELECT xzq, count(*) FILTER (WHERE sfhcz) AS transfers FROM dtzpt GROUP BY xzq",
    "SELECT xlbh, avg(ckgs)::numeric(6, 2) FROM dtzpt GROUP BY xlbh HAVING avg(ckgs) > 2",
    "SELECT sum(jzl) AS entries, sum(czl) AS exits FROM zdkl_rtj",
    "SELECT min(tjrq), max(tjrq) FROM zdkl_rtj",
    "SELECT xlbh, string_agg(zdmc, '、' ORDER BY zdxh) FROM dtzpt GROUP BY xlbh",
    "SELECT xlbh, array_agg(zdbh ORDER BY zdxh) FROM dtzpt GROUP BY xlbh",
    "SELECT bool_and(sfhcz), bool_or(sfhcz), every(ckgs > 0) FROM dtzpt",
    "SELECT stddev(jzl), variance(jzl), stddev_pop(czl), var_samp(czl) FROM zdkl_rtj",
    "SELECT corr(jzl, czl), covar_pop(jzl, czl), regr_slope(czl, jzl) FROM zdkl_rtj",
    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY jzl) FROM zdkl_rtj",
    "SELECT percentile_disc(0.9) WITHIN GROUP (ORDER BY czl) FROM zdkl_rtj",
    "SELECT mode() WITHIN GROUP (ORDER BY xzq) FROM dtzpt",
    "SELECT xzq, count(DISTINCT xlbh) FROM dtzpt GROUP BY ROLLUP (xzq)",
    "SELECT xlbh, zdzt, count(*) FROM dtzpt GROUP BY GROUPING SETS ((xlbh), (zdzt))",
    "SELECT xlbh, sfhcz, count(*) FROM dtzpt GROUP BY CUBE (xlbh, sfhcz)",
    "SELECT sslx, sum(sl) FROM ssxx GROUP BY sslx ORDER BY 2 DESC",
    "SELECT hcfs, avg(bxsj), max(bxsj) FROM hczxx GROUP BY hcfs",
    "SELECT count(*) FILTER (WHERE sszt = '维修中') FROM ssxx",
    # Window functions.
    "SELECT zdmc, ckgs, rank() OVER (ORDER BY ckgs DESC) FROM dtzpt",
    "SELECT zdmc, dense_rank() OVER (PARTITION BY xlbh ORDER BY ckgs DESC) FROM dtzpt",
    "SELECT zdmc, row_number() OVER (PARTITION BY xlbh ORDER BY zdxh) FROM dtzpt",
    "SELECT zdbh, tjrq, jzl, lag(jzl) OVER (PARTITION BY zdbh ORDER BY tjrq) FROM zdkl_rtj",
    "SELECT zdbh, tjrq, lead(czl, 2, 0) OVER (PARTITION BY zdbh ORDER BY tjrq) FROM zdkl_rtj",
    "SELECT zdbh, tjrq, sum(jzl) OVER (PARTITION BY zdbh ORDER BY tjrq "
    "ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS week FROM zdkl_rtj",
    "SELECT zdbh, first_value(tjrq) OVER w, last_value(tjrq) OVER w FROM zdkl_rtj "
    "WINDOW w AS (PARTITION BY zdbh ORDER BY tjrq RANGE BETWEEN UNBOUNDED PRECEDING "
    "AND UNBOUNDED FOLLOWING)",
    "SELECT zdmc, ntile(4) OVER (ORDER BY ckgs) FROM dtzpt",
    "SELECT zdmc, percent_rank() OVER (ORDER BY ckgs), cume_dist() OVER (ORDER BY ckgs) FROM dtzpt",
    "SELECT zdbh, nth_value(jzl, 2) OVER (PARTITION BY zdbh ORDER BY tjrq) FROM zdkl_rtj",
    "SELECT zdbh, jzl * 100.0 / sum(jzl) OVER (PARTITION BY tjrq) AS share FROM zdkl_rtj",
    "SELECT * FROM (SELECT zdmc, xlbh, ckgs, rank() OVER (PARTITION BY xlbh ORDER BY ckgs DESC)"
    " AS r FROM dtzpt) t WHERE r <= 3",
    # CTEs, subqueries, joins.
    "WITH daily AS (SELECT tjrq, sum(jzl + czl) AS total FROM zdkl_rtj GROUP BY tjrq) "
    "SELECT tjrq, total FROM daily ORDER BY total DESC LIMIT 5",
    "WITH busy AS (SELECT zdbh FROM zdkl_rtj GROUP BY zdbh HAVING avg(jzl) > 1000) "
    "SELECT d.zdmc FROM dtzpt d JOIN busy b ON b.zdbh = d.zdbh",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) "
    "SELECT sum(i) FROM n",
    "WITH a AS (SELECT xlbh, count(*) c FROM dtzpt GROUP BY xlbh), b AS (SELECT max(c) m "
    "FROM a) SELECT a.xlbh FROM a, b WHERE a.c = b.m",
    "SELECT d.zdmc, x.xlmc FROM dtzpt d JOIN xlxx x ON x.xlbh = d.xlbh",
    "SELECT d.zdmc, x.xlmc FROM dtzpt d LEFT JOIN xlxx x USING (xlbh)",
    "SELECT a.zdmc, b.zdmc, h.hcfs FROM hczxx h JOIN dtzpt a ON a.zdbh = h.zdbh_a "
    "JOIN dtzpt b ON b.zdbh = h.zdbh_b",
    "SELECT zdmc FROM dtzpt WHERE zdbh IN (SELECT zdbh FROM ssxx WHERE sslx = '电梯')",
    "SELECT zdmc FROM dtzpt d WHERE EXISTS (SELECT 1 FROM hczxx h WHERE h.zdbh_a = d.zdbh)",
    "SELECT zdmc FROM dtzpt d WHERE NOT EXISTS (SELECT 1 FROM ssxx s WHERE s.zdbh = d.zdbh)",
    "SELECT zdmc, (SELECT count(*) FROM ssxx s WHERE s.zdbh = d.zdbh) FROM dtzpt d",
    "SELECT x.xlmc, s.n FROM xlxx x CROSS JOIN LATERAL (SELECT count(*) AS n FROM dtzpt d "
    "WHERE d.xlbh = x.xlbh) s",
    "SELECT zdmc FROM dtzpt WHERE ckgs > ALL (SELECT ckgs FROM dtzpt WHERE xlbh = 'L02')",
    "SELECT zdmc FROM dtzpt WHERE ckgs = ANY (ARRAY[2, 4, 6])",
    "SELECT * FROM v_zdrjkl ORDER BY rjkl DESC LIMIT 10",
    "SELECT public.dtzpt.zdmc FROM public.dtzpt WHERE public.dtzpt.xlbh = 'L01'",
    # Set operations and VALUES.
    "SELECT zdbh_a AS zdbh FROM hczxx UNION SELECT zdbh_b FROM hczxx",
    "SELECT zdbh FROM dtzpt INTERSECT SELECT zdbh FROM ssxx",
    "SELECT zdbh FROM dtzpt EXCEPT SELECT zdbh FROM zdkl_rtj",
    "SELECT zdbh FROM ssxx UNION ALL SELECT zdbh FROM zdkl_rtj LIMIT 5",
    "VALUES (1, 'a'), (2, 'b')",
    "SELECT * FROM (VALUES ('L01'), ('L02')) AS v(xlbh) JOIN xlxx USING (xlbh)",
    # Conditional expressions and casts.
    "SELECT zdmc, CASE WHEN ckgs >= 4 THEN '多' WHEN ckgs >= 2 THEN '中' ELSE '少' END FROM dtzpt",
    "SELECT coalesce(kyrq::text, '未开通'), nullif(ckgs, 0) FROM dtzpt",
    "SELECT greatest(jzl, czl), least(jzl, czl) FROM zdkl_rtj",
    "SELECT CAST(jd AS numeric(10, 3)), wd::float8, ckgs::text FROM dtzpt",
    "SELECT zdmc FROM dtzpt WHERE zdmc ILIKE '%桥%' OR zdmc LIKE '龙%'",
    "SELECT zdmc FROM dtzpt WHERE zdmc ~ '^[龙沈]' AND zdmc !~* 'x'",
    "SELECT zdmc FROM dtzpt WHERE kyrq IS NOT NULL AND ckgs BETWEEN 2 AND 6",
    "SELECT num_nulls(kyrq, jd), num_nonnulls(kyrq, jd) FROM dtzpt",
    "SELECT sslx::text, sl FROM ssxx WHERE sslx = '电梯'::sslx_enum",
    # Mathematics.
    "SELECT round(avg(jzl), 1), ceil(avg(czl)), floor(avg(hcl)), trunc(stddev(jzl), 2) FROM "
    "zdkl_rtj",
    "SELECT abs(jd - 120), sign(wd - 30), sqrt(ckgs), power(ckgs, 2) FROM dtzpt",
    "SELECT mod(ckgs, 3), div(ckgs, 2), ckgs % 2, exp(1), ln(10), log(100), log10(1000) FROM dtzpt",
    "SELECT degrees(atan2(wd, jd)), radians(45), pi(), cbrt(27), width_bucket(ckgs, 0, 10, 5)"
    " FROM dtzpt",
    "SELECT gcd(12, 18), lcm(4, 6), factorial(5), scale(1.2300), trim_scale(1.2300)",
    "SELECT zdmc FROM dtzpt ORDER BY random() LIMIT 3",
    "SELECT sin(1), cos(1), tan(1), asin(0.5), acos(0.5), atan(1)",
    # Strings.
    "SELECT length(zdmc), char_length(zdmc), octet_length(zdmc), upper(zdbh), lower(zdbh) "
    "FROM dtzpt",
    "SELECT substring(zdbh FROM 1 FOR 3), substr(zdbh, 2), left(zdbh, 2), right(zdbh, 2) "
    "FROM dtzpt",
    "SELECT position('桥' IN zdmc), strpos(zdmc, '站'), replace(zdmc, '站', '') FROM dtzpt",
    "SELECT trim(zdmc), btrim(zdmc, '站'), ltrim(zdbh, 'S'), rtrim(zdbh, '0') FROM dtzpt",
    "SELECT concat(zdmc, '(', xlbh, ')'), concat_ws('-', xlbh, zdxh), zdmc || '站' FROM dtzpt",
    "SELECT split_part(zdbh, '0', 1), reverse(zdbh), initcap('hello world'), md5(zdbh) FROM dtzpt",
    "SELECT format('%s 号线 %s', xlbh, zdmc), translate(zdbh, '0', 'o') FROM dtzpt",
    "SELECT regexp_replace(zdbh, '[0-9]', '#', 'g'), regexp_match(zdbh, '[0-9]+') FROM dtzpt",
    "SELECT regexp_split_to_array('a,b,c', ','), string_to_array('1;2', ';'), "
    "array_to_string(ARRAY['a', 'b'], '/')",
    "SELECT starts_with(zdmc, '龙'), to_hex(ckgs), chr(65), ascii('A') FROM dtzpt",
    "SELECT repeat('-', 20), lpad(zdbh, 12, '0'), rpad(zdmc, 10, '.') FROM dtzpt",
    "SELECT to_char(kyrq, 'YYYY-MM'), to_number('12,345', '99G999') FROM dtzpt",
    # Dates and times.
    "SELECT date_trunc('month', tjrq) AS month, sum(jzl) FROM zdkl_rtj GROUP BY 1 ORDER BY 1",
    "SELECT extract(dow FROM tjrq), date_part('week', tjrq), sum(czl) FROM zdkl_rtj GROUP BY 1, 2",
    "SELECT tjrq, jzl FROM zdkl_rtj WHERE tjrq >= DATE '2024-06-01' AND tjrq < DATE '2024-07-01'",
    "SELECT tjrq, jzl FROM zdkl_rtj WHERE tjrq >= current_date - INTERVAL '30 days'",
    "SELECT now(), current_timestamp, current_date, localtimestamp, statement_timestamp()",
    "SELECT age(current_date, kyrq), justify_days(INTERVAL '45 days') FROM dtzpt WHERE kyrq IS"
    " NOT NULL",
    "SELECT make_date(2024, 6, 1), make_interval(days => 7), make_timestamp(2024, 6, 1, 8, 0, 0)",
    "SELECT to_date('2024-06-01', 'YYYY-MM-DD'), to_timestamp('2024-06-01 08:00', "
    "'YYYY-MM-DD HH24:MI')",
    "SELECT date_bin(INTERVAL '7 days', tjrq::timestamp, TIMESTAMP '2024-01-01'), sum(jzl) "
    "FROM zdkl_rtj GROUP BY 1",
    "SELECT d::date, coalesce(sum(k.jzl), 0) FROM generate_series(DATE '2024-06-01', "
    "DATE '2024-06-30', INTERVAL '1 day') d LEFT JOIN zdkl_rtj k ON k.tjrq = d::date GROUP BY 1",
    "SELECT g FROM generate_series(1, 12) AS g",
    "SELECT tjrq, jzl FROM zdkl_rtj WHERE extract(year FROM tjrq) = 2024 AND "
    "extract(month FROM tjrq) = 6",
    "SELECT isfinite(DATE '2024-01-01'), timezone('Asia/Shanghai', now())",
    "SELECT kyrq + INTERVAL '1 year', kyrq - 30 FROM dtzpt WHERE kyrq IS NOT NULL",
    # JSON and arrays.
    "SELECT json_build_object('zdmc', zdmc, 'ckgs', ckgs) FROM dtzpt",
    "SELECT jsonb_build_object('xlbh', xlbh, 'n', count(*)) FROM dtzpt GROUP BY xlbh",
    "SELECT json_agg(zdmc ORDER BY zdxh) FROM dtzpt GROUP BY xlbh",
    "SELECT jsonb_agg(to_jsonb(x)) FROM xlxx x",
    "SELECT row_to_json(d) FROM dtzpt d LIMIT 3",
    "SELECT j ->> 'a', j -> 'b', jsonb_typeof(j -> 'b') FROM (SELECT '{\"a\": 1, \"b\": [1, 2]}'"
    "::jsonb AS j) t",
    "SELECT jsonb_array_length('[1, 2, 3]'), jsonb_object_keys('{\"a\": 1}')",
    'SELECT value FROM jsonb_array_elements_text(\'["x", "y"]\')',
    'SELECT key, value FROM jsonb_each(\'{"a": 1, "b": 2}\')',
    "SELECT jsonb_path_query_array('{\"a\": [1, 2, 3]}', '$.a[*] ? (@ > 1)')",
    "SELECT '{\"a\": 1}'::jsonb @> '{\"a\": 1}', '{\"a\": 1}'::jsonb ? 'a'",
    "SELECT array_length(ARRAY[1, 2, 3], 1), cardinality(ARRAY[1, 2]), "
    "array_position(ARRAY['a', 'b'], 'b')",
    "SELECT unnest(ARRAY['L01', 'L02']) AS xlbh",
    "SELECT x FROM unnest(ARRAY[3, 1, 2]) WITH ORDINALITY AS t(x, n) ORDER BY n",
    "SELECT array_append(ARRAY[1], 2), array_cat(ARRAY[1], ARRAY[2]), array_remove(ARRAY[1, 2], 1)",
    "SELECT zdmc FROM dtzpt WHERE xlbh = ANY (string_to_array('L01,L02', ','))",
    "SELECT (ARRAY['a', 'b', 'c'])[2], ROW(1, 'x')",
    # Qualified built-ins.
    "SELECT pg_catalog.lower(zdmc), pg_catalog.count(*) FROM dtzpt GROUP BY 1",
]

ANALYTIC: list[str] = _WRITTEN + [sql for _, sql in demo_examples()]

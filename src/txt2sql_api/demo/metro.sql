-- 城市地铁演示库（杭州风格，数据为合成数据）。
-- 由 txt2sql_api.demo.loader 作为一个多语句字符串在单个事务中执行；可重复执行：先删除再重建。
-- 不使用 psql 元命令，不使用 random()：批量数据由 generate_series 与 hashtext 伪随机生成，结果确定。

SET LOCAL search_path = public, pg_catalog;
SET LOCAL client_min_messages = warning;

DROP VIEW IF EXISTS public.v_zdrjkl CASCADE;
DROP TABLE IF EXISTS public.ssxx, public.zdkl_rtj, public.hczxx, public.dtzpt, public.xlxx CASCADE;
DROP TYPE IF EXISTS public.sslx_enum CASCADE;

-- ---------------------------------------------------------------------------------------------
-- 线路信息
-- ---------------------------------------------------------------------------------------------
CREATE TABLE public.xlxx (
    xlbh varchar(8) PRIMARY KEY,
    xlmc varchar(16) NOT NULL UNIQUE,
    xlys varchar(8) NOT NULL,
    qdz varchar(32) NOT NULL,
    zdz varchar(32) NOT NULL,
    xlcd numeric(6, 2) NOT NULL CHECK (xlcd > 0),
    ktrq date,
    yyzt varchar(8) NOT NULL CHECK (yyzt IN ('运营中', '在建', '规划中'))
);

COMMENT ON TABLE public.xlxx IS '线路信息';
COMMENT ON COLUMN public.xlxx.xlbh IS '线路编号，主键，如 L01、L02';
COMMENT ON COLUMN public.xlxx.xlmc IS '线路名称，如 1号线、2号线';
COMMENT ON COLUMN public.xlxx.xlys IS '线路颜色（标识色），如 红色、橙色';
COMMENT ON COLUMN public.xlxx.qdz IS '起点站名称，不含“站”字';
COMMENT ON COLUMN public.xlxx.zdz IS '终点站名称，不含“站”字';
COMMENT ON COLUMN public.xlxx.xlcd IS '线路长度（公里）';
COMMENT ON COLUMN public.xlxx.ktrq IS '开通日期（首段开通运营的日期），未开通的线路为空';
COMMENT ON COLUMN public.xlxx.yyzt IS '运营状态：运营中、在建、规划中';

INSERT INTO public.xlxx (xlbh, xlmc, xlys, qdz, zdz, xlcd, ktrq, yyzt) VALUES
    ('L01', '1号线', '红色', '湘湖', '下沙江滨', 48.50, DATE '2012-11-24', '运营中'),
    ('L02', '2号线', '橙色', '朝阳', '良渚', 43.30, DATE '2014-11-24', '运营中'),
    ('L03', '3号线', '黄色', '星桥', '小和山', 28.60, DATE '2022-02-21', '运营中'),
    ('L04', '4号线', '绿色', '浦沿', '彭埠', 26.80, DATE '2015-02-02', '运营中'),
    ('L05', '5号线', '青色', '良睦路', '大关', 15.20, NULL, '在建'),
    ('L06', '6号线', '蓝色', '双浦', '桂花西路', 22.00, NULL, '规划中');

-- ---------------------------------------------------------------------------------------------
-- 地铁站点：一条线路上的一个站一行；换乘站在每条线路上各有一行（站点编号不同，站点名称相同）
-- ---------------------------------------------------------------------------------------------
CREATE TABLE public.dtzpt (
    zdbh varchar(12) PRIMARY KEY,
    zdmc varchar(32) NOT NULL,
    xlbh varchar(8) NOT NULL REFERENCES public.xlxx (xlbh),
    zdxh int NOT NULL CHECK (zdxh > 0),
    xzq varchar(16) NOT NULL,
    jd numeric(9, 6) NOT NULL,
    wd numeric(9, 6) NOT NULL,
    sfhcz boolean NOT NULL DEFAULT false,
    kyrq date,
    zdzt varchar(8) NOT NULL CHECK (zdzt IN ('正常运营', '临时关闭', '施工中')),
    ckgs int NOT NULL CHECK (ckgs >= 0),
    UNIQUE (xlbh, zdxh)
);

COMMENT ON TABLE public.dtzpt IS '地铁站点';
COMMENT ON COLUMN public.dtzpt.zdbh IS '站点编号，主键，如 ZD0208（线路 02 的第 8 站）；换乘站每条线路各一个编号';
COMMENT ON COLUMN public.dtzpt.zdmc IS '站点名称，不含“站”字，如 沈塘桥';
COMMENT ON COLUMN public.dtzpt.xlbh IS '所属线路编号，关联 xlxx.xlbh';
COMMENT ON COLUMN public.dtzpt.zdxh IS '站序号，站点在所属线路上从起点站开始的顺序，起点站为 1';
COMMENT ON COLUMN public.dtzpt.xzq IS '所属行政区，如 拱墅区、西湖区、上城区';
COMMENT ON COLUMN public.dtzpt.jd IS '经度（WGS84）';
COMMENT ON COLUMN public.dtzpt.wd IS '纬度（WGS84）';
COMMENT ON COLUMN public.dtzpt.sfhcz IS '是否换乘站（true 表示可换乘其他线路）';
COMMENT ON COLUMN public.dtzpt.kyrq IS '开通日期（开始载客运营的日期），未开通为空';
COMMENT ON COLUMN public.dtzpt.zdzt IS '站点状态：正常运营、临时关闭、施工中';
COMMENT ON COLUMN public.dtzpt.ckgs IS '出口个数';

INSERT INTO public.dtzpt (zdbh, zdmc, xlbh, zdxh, xzq, jd, wd, sfhcz, kyrq, zdzt, ckgs)
SELECT 'ZD' || substr(v.xlbh, 2) || lpad(v.zdxh::text, 2, '0'),
       v.zdmc, v.xlbh, v.zdxh, v.xzq, v.jd, v.wd,
       count(*) OVER (PARTITION BY v.zdmc) > 1,
       v.kyrq::date, v.zdzt, v.ckgs
FROM (VALUES
    -- 1号线
    ('L01', 1, '湘湖', '萧山区', 120.220900, 30.148400, '2015-11-24', '正常运营', 4),
    ('L01', 2, '滨康路', '滨江区', 120.219200, 30.171700, '2015-11-24', '正常运营', 4),
    ('L01', 3, '西兴', '滨江区', 120.220600, 30.186900, '2012-11-24', '正常运营', 4),
    ('L01', 4, '滨和路', '滨江区', 120.223600, 30.198800, '2012-11-24', '正常运营', 5),
    ('L01', 5, '江陵路', '滨江区', 120.214800, 30.210700, '2012-11-24', '正常运营', 6),
    ('L01', 6, '近江', '上城区', 120.195200, 30.235500, '2012-11-24', '正常运营', 8),
    ('L01', 7, '婺江路', '上城区', 120.188500, 30.241000, '2012-11-24', '正常运营', 4),
    ('L01', 8, '城站', '上城区', 120.182600, 30.245500, '2012-11-24', '正常运营', 7),
    ('L01', 9, '定安路', '上城区', 120.173200, 30.249700, '2012-11-24', '临时关闭', 4),
    ('L01', 10, '龙翔桥', '上城区', 120.168100, 30.260600, '2012-11-24', '正常运营', 8),
    ('L01', 11, '凤起路', '拱墅区', 120.168900, 30.267200, '2012-11-24', '正常运营', 9),
    ('L01', 12, '武林广场', '拱墅区', 120.170000, 30.274800, '2012-11-24', '正常运营', 10),
    ('L01', 13, '西湖文化广场', '拱墅区', 120.171500, 30.281800, '2012-11-24', '正常运营', 7),
    ('L01', 14, '打铁关', '拱墅区', 120.180000, 30.288500, '2012-11-24', '正常运营', 4),
    ('L01', 15, '闸弄口', '上城区', 120.193500, 30.289800, '2012-11-24', '正常运营', 4),
    ('L01', 16, '火车东站', '上城区', 120.213100, 30.290500, '2012-11-24', '正常运营', 12),
    ('L01', 17, '九堡', '上城区', 120.279000, 30.304000, '2012-11-24', '正常运营', 5),
    ('L01', 18, '文泽路', '钱塘区', 120.343000, 30.311000, '2012-11-24', '正常运营', 5),
    ('L01', 19, '下沙江滨', '钱塘区', 120.356000, 30.289000, '2015-11-24', '正常运营', 3),
    -- 2号线
    ('L02', 1, '朝阳', '萧山区', 120.266000, 30.159000, '2014-11-24', '正常运营', 3),
    ('L02', 2, '人民广场', '萧山区', 120.264300, 30.178500, '2014-11-24', '正常运营', 6),
    ('L02', 3, '钱江世纪城', '萧山区', 120.247500, 30.229000, '2014-11-24', '正常运营', 5),
    ('L02', 4, '钱江路', '上城区', 120.215000, 30.247000, '2014-11-24', '正常运营', 9),
    ('L02', 5, '庆春广场', '上城区', 120.205000, 30.260000, '2017-07-03', '正常运营', 6),
    ('L02', 6, '凤起路', '拱墅区', 120.168900, 30.267200, '2017-07-03', '正常运营', 9),
    ('L02', 7, '武林门', '拱墅区', 120.163000, 30.277000, '2017-07-03', '正常运营', 8),
    ('L02', 8, '沈塘桥', '拱墅区', 120.157000, 30.286500, '2017-07-03', '正常运营', 4),
    ('L02', 9, '下宁桥', '拱墅区', 120.151500, 30.293000, '2017-07-03', '正常运营', 4),
    ('L02', 10, '学院路', '西湖区', 120.140000, 30.296000, '2017-07-03', '正常运营', 5),
    ('L02', 11, '古翠路', '西湖区', 120.130000, 30.293000, '2017-07-03', '正常运营', 4),
    ('L02', 12, '丰潭路', '西湖区', 120.116500, 30.293000, '2017-12-27', '正常运营', 4),
    ('L02', 13, '文新', '西湖区', 120.104000, 30.288000, '2017-12-27', '正常运营', 4),
    ('L02', 14, '三坝', '西湖区', 120.093500, 30.300000, '2017-12-27', '正常运营', 3),
    ('L02', 15, '虾龙圩', '西湖区', 120.096000, 30.316500, '2017-12-27', '正常运营', 3),
    ('L02', 16, '三墩', '西湖区', 120.095000, 30.329000, '2017-12-27', '正常运营', 4),
    ('L02', 17, '白洋', '余杭区', 120.090000, 30.345000, '2017-12-27', '正常运营', 3),
    ('L02', 18, '杜甫村', '余杭区', 120.083000, 30.360000, '2017-12-27', '正常运营', 3),
    ('L02', 19, '良渚', '余杭区', 120.070000, 30.377000, '2017-12-27', '正常运营', 4),
    -- 3号线
    ('L03', 1, '星桥', '临平区', 120.289000, 30.405000, '2022-02-21', '正常运营', 4),
    ('L03', 2, '丁桥', '上城区', 120.242000, 30.356000, '2022-02-21', '正常运营', 4),
    ('L03', 3, '华中南路', '上城区', 120.223000, 30.340000, '2022-02-21', '正常运营', 3),
    ('L03', 4, '善贤', '拱墅区', 120.198000, 30.325000, '2022-02-21', '正常运营', 4),
    ('L03', 5, '潮王路', '拱墅区', 120.170000, 30.296000, '2022-02-21', '正常运营', 4),
    ('L03', 6, '西湖文化广场', '拱墅区', 120.171500, 30.281800, '2022-02-21', '正常运营', 7),
    ('L03', 7, '武林广场', '拱墅区', 120.170000, 30.274800, '2022-02-21', '正常运营', 10),
    ('L03', 8, '武林门', '拱墅区', 120.163000, 30.277000, '2022-02-21', '正常运营', 8),
    ('L03', 9, '黄龙体育中心', '西湖区', 120.142000, 30.273000, '2022-02-21', '正常运营', 6),
    ('L03', 10, '古荡', '西湖区', 120.130000, 30.279000, '2022-02-21', '正常运营', 4),
    ('L03', 11, '西溪湿地南', '西湖区', 120.080000, 30.265000, '2022-02-21', '正常运营', 3),
    ('L03', 12, '留下', '西湖区', 120.060000, 30.270000, '2022-02-21', '正常运营', 4),
    ('L03', 13, '石马', '西湖区', 120.040000, 30.277000, '2022-02-21', '正常运营', 3),
    ('L03', 14, '小和山', '西湖区', 120.025000, 30.285000, '2022-02-21', '正常运营', 3),
    -- 4号线
    ('L04', 1, '浦沿', '滨江区', 120.170000, 30.175000, '2018-01-09', '正常运营', 4),
    ('L04', 2, '杨家墩', '滨江区', 120.175000, 30.188000, '2018-01-09', '正常运营', 3),
    ('L04', 3, '中医药大学', '滨江区', 120.178000, 30.196000, '2018-01-09', '正常运营', 4),
    ('L04', 4, '联庄', '滨江区', 120.187000, 30.205000, '2018-01-09', '正常运营', 3),
    ('L04', 5, '水澄桥', '上城区', 120.188000, 30.216000, '2018-01-09', '正常运营', 4),
    ('L04', 6, '复兴路', '上城区', 120.186000, 30.225000, '2018-01-09', '正常运营', 4),
    ('L04', 7, '南星桥', '上城区', 120.183000, 30.230000, '2018-01-09', '正常运营', 5),
    ('L04', 8, '甬江路', '上城区', 120.188000, 30.233000, '2018-01-09', '正常运营', 4),
    ('L04', 9, '近江', '上城区', 120.195200, 30.235500, '2015-02-02', '正常运营', 8),
    ('L04', 10, '城星路', '上城区', 120.201000, 30.238500, '2015-02-02', '正常运营', 4),
    ('L04', 11, '市民中心', '上城区', 120.207500, 30.242000, '2015-02-02', '正常运营', 6),
    ('L04', 12, '江锦路', '上城区', 120.211500, 30.244800, '2015-02-02', '正常运营', 4),
    ('L04', 13, '钱江路', '上城区', 120.215000, 30.247000, '2015-02-02', '正常运营', 9),
    ('L04', 14, '景芳', '上城区', 120.211000, 30.264000, '2015-02-02', '正常运营', 4),
    ('L04', 15, '新塘', '上城区', 120.212000, 30.273000, '2015-02-02', '正常运营', 4),
    ('L04', 16, '新风', '上城区', 120.212500, 30.281000, '2015-02-02', '正常运营', 3),
    ('L04', 17, '火车东站', '上城区', 120.213100, 30.290500, '2015-02-02', '正常运营', 12),
    ('L04', 18, '彭埠', '上城区', 120.230000, 30.300000, '2015-02-02', '正常运营', 4),
    -- 5号线（在建）
    ('L05', 1, '良睦路', '余杭区', 120.050000, 30.292000, NULL, '施工中', 0),
    ('L05', 2, '五常', '余杭区', 120.065000, 30.288000, NULL, '施工中', 0),
    ('L05', 3, '蒋村', '西湖区', 120.085000, 30.283000, NULL, '施工中', 0),
    ('L05', 4, '和睦', '拱墅区', 120.140000, 30.310000, NULL, '施工中', 0),
    ('L05', 5, '大关', '拱墅区', 120.155000, 30.310000, NULL, '施工中', 0)
) AS v (xlbh, zdxh, zdmc, xzq, jd, wd, kyrq, zdzt, ckgs)
ORDER BY v.xlbh, v.zdxh;

CREATE INDEX dtzpt_zdmc_idx ON public.dtzpt (zdmc);
CREATE INDEX dtzpt_xlbh_idx ON public.dtzpt (xlbh);
CREATE INDEX dtzpt_xzq_idx ON public.dtzpt (xzq);

-- ---------------------------------------------------------------------------------------------
-- 换乘站信息：同一换乘站在两条线路上的两个站点之间的换乘方式与步行时间
-- ---------------------------------------------------------------------------------------------
CREATE TABLE public.hczxx (
    hcbh serial PRIMARY KEY,
    zdbh_a varchar(12) NOT NULL REFERENCES public.dtzpt (zdbh),
    zdbh_b varchar(12) NOT NULL REFERENCES public.dtzpt (zdbh),
    hcfs varchar(8) NOT NULL CHECK (hcfs IN ('同台换乘', '通道换乘', '站厅换乘')),
    bxsj int NOT NULL CHECK (bxsj > 0),
    UNIQUE (zdbh_a, zdbh_b),
    CHECK (zdbh_a <> zdbh_b)
);

COMMENT ON TABLE public.hczxx IS '换乘站信息';
COMMENT ON COLUMN public.hczxx.hcbh IS '换乘编号，主键，自增';
COMMENT ON COLUMN public.hczxx.zdbh_a IS '换乘站点A的站点编号（线路编号较小的一侧），关联 dtzpt.zdbh';
COMMENT ON COLUMN public.hczxx.zdbh_b IS '换乘站点B的站点编号（线路编号较大的一侧），关联 dtzpt.zdbh';
COMMENT ON COLUMN public.hczxx.hcfs IS '换乘方式：同台换乘、通道换乘、站厅换乘';
COMMENT ON COLUMN public.hczxx.bxsj IS '换乘步行时间（秒）';

INSERT INTO public.hczxx (zdbh_a, zdbh_b, hcfs, bxsj)
SELECT a.zdbh, b.zdbh, v.hcfs, v.bxsj
FROM (VALUES
    ('近江', '站厅换乘', 120),
    ('凤起路', '通道换乘', 180),
    ('武林广场', '站厅换乘', 150),
    ('西湖文化广场', '同台换乘', 30),
    ('火车东站', '通道换乘', 300),
    ('钱江路', '同台换乘', 40),
    ('武林门', '通道换乘', 240)
) AS v (zdmc, hcfs, bxsj)
JOIN public.dtzpt a ON a.zdmc = v.zdmc
JOIN public.dtzpt b ON b.zdmc = v.zdmc AND a.xlbh < b.xlbh
ORDER BY a.zdbh;

-- ---------------------------------------------------------------------------------------------
-- 站点客流日统计：2024-06-01 至 2024-06-30，每个已开通站点每天一行
-- ---------------------------------------------------------------------------------------------
CREATE TABLE public.zdkl_rtj (
    zdbh varchar(12) NOT NULL REFERENCES public.dtzpt (zdbh),
    tjrq date NOT NULL,
    jzl int NOT NULL CHECK (jzl >= 0),
    czl int NOT NULL CHECK (czl >= 0),
    hcl int NOT NULL DEFAULT 0 CHECK (hcl >= 0),
    PRIMARY KEY (zdbh, tjrq)
);

COMMENT ON TABLE public.zdkl_rtj IS '站点客流日统计';
COMMENT ON COLUMN public.zdkl_rtj.zdbh IS '站点编号，关联 dtzpt.zdbh';
COMMENT ON COLUMN public.zdkl_rtj.tjrq IS '统计日期（按自然日统计），数据范围 2024-06-01 至 2024-06-30';
COMMENT ON COLUMN public.zdkl_rtj.jzl IS '进站量（人次）';
COMMENT ON COLUMN public.zdkl_rtj.czl IS '出站量（人次）';
COMMENT ON COLUMN public.zdkl_rtj.hcl IS '换乘量（人次），非换乘站为 0';

CREATE INDEX zdkl_rtj_tjrq_idx ON public.zdkl_rtj (tjrq);

-- 基础客流：枢纽站固定，其余站点按站点编号哈希取 3000~11999；
-- 日系数：周末及端午假期（6月8日至10日）通勤站点下降、景区商圈站点上升；每天再加 ±10% 波动。
INSERT INTO public.zdkl_rtj (zdbh, tjrq, jzl, czl, hcl)
SELECT d.zdbh,
       r.tjrq,
       round(b.base * f.xs * (0.90 + (abs(hashtext(d.zdbh || '进' || r.tjrq::text)::bigint) % 2001) / 10000.0))::int,
       round(b.base * f.xs * (0.89 + (abs(hashtext(d.zdbh || '出' || r.tjrq::text)::bigint) % 2201) / 10000.0))::int,
       CASE WHEN d.sfhcz
            THEN round(b.base * 0.55 * f.xs
                       * (0.90 + (abs(hashtext(d.zdbh || '换' || r.tjrq::text)::bigint) % 2001) / 10000.0))::int
            ELSE 0
       END
FROM public.dtzpt d
CROSS JOIN LATERAL (
    SELECT CASE d.zdmc
               WHEN '火车东站' THEN 42000
               WHEN '武林广场' THEN 36000
               WHEN '龙翔桥' THEN 33000
               WHEN '钱江路' THEN 30000
               WHEN '凤起路' THEN 27000
               WHEN '城站' THEN 26000
               WHEN '近江' THEN 24000
               WHEN '西湖文化广场' THEN 23000
               WHEN '武林门' THEN 22000
               WHEN '钱江世纪城' THEN 18000
               WHEN '人民广场' THEN 16000
               WHEN '市民中心' THEN 15000
               WHEN '黄龙体育中心' THEN 15000
               ELSE 3000 + abs(hashtext(d.zdbh)::bigint) % 9000
           END AS base
) AS b
CROSS JOIN LATERAL (
    SELECT g::date AS tjrq
    FROM generate_series(DATE '2024-06-01', DATE '2024-06-30', INTERVAL '1 day') AS g
) AS r
CROSS JOIN LATERAL (
    SELECT CASE
               WHEN extract(isodow FROM r.tjrq) IN (6, 7) OR r.tjrq = DATE '2024-06-10'
                   THEN CASE WHEN d.zdmc IN ('龙翔桥', '城站', '定安路', '西湖文化广场', '西溪湿地南',
                                             '黄龙体育中心', '武林广场')
                             THEN 1.25 ELSE 0.72 END
               WHEN extract(isodow FROM r.tjrq) = 5 THEN 1.08
               ELSE 1.00
           END AS xs
) AS f
WHERE d.zdzt <> '施工中'
  AND d.kyrq <= r.tjrq
  AND (d.zdzt <> '临时关闭' OR r.tjrq < DATE '2024-06-21')
ORDER BY d.zdbh, r.tjrq;

-- ---------------------------------------------------------------------------------------------
-- 站点设施
-- ---------------------------------------------------------------------------------------------
CREATE TYPE public.sslx_enum AS ENUM ('电梯', '扶梯', '自动售票机', '闸机', '卫生间', '母婴室');

COMMENT ON TYPE public.sslx_enum IS '设施类型：电梯、扶梯、自动售票机、闸机、卫生间、母婴室';

CREATE TABLE public.ssxx (
    ssbh serial PRIMARY KEY,
    zdbh varchar(12) NOT NULL REFERENCES public.dtzpt (zdbh),
    sslx public.sslx_enum NOT NULL,
    sl int NOT NULL CHECK (sl > 0),
    sszt varchar(8) NOT NULL CHECK (sszt IN ('正常', '维修中', '停用')),
    UNIQUE (zdbh, sslx)
);

COMMENT ON TABLE public.ssxx IS '站点设施';
COMMENT ON COLUMN public.ssxx.ssbh IS '设施编号，主键，自增';
COMMENT ON COLUMN public.ssxx.zdbh IS '站点编号，关联 dtzpt.zdbh';
COMMENT ON COLUMN public.ssxx.sslx IS '设施类型（枚举 sslx_enum）：电梯、扶梯、自动售票机、闸机、卫生间、母婴室';
COMMENT ON COLUMN public.ssxx.sl IS '数量（台/个/间）';
COMMENT ON COLUMN public.ssxx.sszt IS '设施状态：正常、维修中、停用';

CREATE INDEX ssxx_zdbh_idx ON public.ssxx (zdbh);

-- 已开通站点都有电梯、扶梯、自动售票机、闸机；换乘站及部分站点有卫生间；换乘站有母婴室。
INSERT INTO public.ssxx (zdbh, sslx, sl, sszt)
SELECT d.zdbh,
       t.sslx,
       CASE t.sslx
           WHEN '电梯' THEN 2 + h.v % 3 + CASE WHEN d.sfhcz THEN 2 ELSE 0 END
           WHEN '扶梯' THEN 4 + h.v % 8 + CASE WHEN d.sfhcz THEN 4 ELSE 0 END
           WHEN '自动售票机' THEN 4 + h.v % 6 + CASE WHEN d.sfhcz THEN 4 ELSE 0 END
           WHEN '闸机' THEN 8 + h.v % 12 + CASE WHEN d.sfhcz THEN 8 ELSE 0 END
           WHEN '卫生间' THEN 1 + h.v % 2
           ELSE 1
       END,
       CASE
           WHEN d.zdzt = '临时关闭' THEN '停用'
           WHEN d.zdmc IN ('沈塘桥', '打铁关') AND t.sslx = '电梯' THEN '维修中'
           WHEN d.zdmc = '龙翔桥' AND t.sslx = '扶梯' THEN '维修中'
           WHEN h.v % 17 = 0 THEN '维修中'
           WHEN h.v % 43 = 0 THEN '停用'
           ELSE '正常'
       END
FROM public.dtzpt d
CROSS JOIN unnest(enum_range(NULL::public.sslx_enum)) AS t (sslx)
CROSS JOIN LATERAL (SELECT abs(hashtext(d.zdbh || t.sslx::text)::bigint) AS v) AS h
WHERE d.zdzt <> '施工中'
  AND (t.sslx IN ('电梯', '扶梯', '自动售票机', '闸机')
       OR (t.sslx = '卫生间' AND (d.sfhcz OR abs(hashtext(d.zdbh)::bigint) % 3 = 0))
       OR (t.sslx = '母婴室' AND d.sfhcz))
ORDER BY d.zdbh, t.sslx;

-- ---------------------------------------------------------------------------------------------
-- 站点日均客流视图
-- ---------------------------------------------------------------------------------------------
CREATE VIEW public.v_zdrjkl AS
SELECT d.zdbh,
       d.zdmc,
       x.xlmc,
       round(avg(k.jzl + k.czl), 0) AS rjkl,
       count(*) AS tjts
FROM public.dtzpt d
JOIN public.xlxx x ON x.xlbh = d.xlbh
JOIN public.zdkl_rtj k ON k.zdbh = d.zdbh
GROUP BY d.zdbh, d.zdmc, x.xlmc;

COMMENT ON VIEW public.v_zdrjkl IS '站点日均客流：按站点（每条线路的站点分开）统计的日均进出站量';
COMMENT ON COLUMN public.v_zdrjkl.zdbh IS '站点编号';
COMMENT ON COLUMN public.v_zdrjkl.zdmc IS '站点名称，不含“站”字';
COMMENT ON COLUMN public.v_zdrjkl.xlmc IS '所属线路名称，如 2号线';
COMMENT ON COLUMN public.v_zdrjkl.rjkl IS '日均客流（人次），即日均 进站量 + 出站量';
COMMENT ON COLUMN public.v_zdrjkl.tjts IS '参与统计的天数';

ANALYZE public.xlxx, public.dtzpt, public.hczxx, public.zdkl_rtj, public.ssxx;

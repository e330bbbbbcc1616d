"""人事与财务 (HR and finance) of a company with offices in 杭州, 上海 and 宁波: departments,
employees, payroll, attendance, leave, expense claims, budgets, accounts, vouchers, supplier
invoices and payments; 27 tables in schema `public`.

As in the retail schema, rows that relative-date questions ask about are dated from
current_date, and the payroll and attendance months run from January 2025 (or 14 months back,
if that is earlier) to last month, so that both fixed and relative months have rows.
"""

from __future__ import annotations

from tests.helpers.quality import GlossaryTerm, QualitySchema, ask

DDL = r"""
CREATE TABLE gs (
    gsid int PRIMARY KEY,
    gsmc varchar(32) NOT NULL,
    cs varchar(16) NOT NULL,
    tyxydm varchar(18),
    frdb varchar(16)
);
COMMENT ON TABLE gs IS '公司主体';
COMMENT ON COLUMN gs.gsmc IS '公司名称：杭州总部、上海分公司、宁波分公司';
COMMENT ON COLUMN gs.cs IS '所在城市';
COMMENT ON COLUMN gs.tyxydm IS '统一社会信用代码';
COMMENT ON COLUMN gs.frdb IS '负责人';
INSERT INTO gs VALUES
    (1, '杭州总部', '杭州', '91330100MA2H000001', '周建华'),
    (2, '上海分公司', '上海', '91310000MA1S000002', '陈刚'),
    (3, '宁波分公司', '宁波', '91330200MA2N000003', '陈刚');

CREATE TABLE bm (
    bmid int PRIMARY KEY,
    bmbm varchar(8) NOT NULL UNIQUE,
    bmmc varchar(16) NOT NULL,
    sjbmid int REFERENCES bm (bmid),
    gsid int NOT NULL REFERENCES gs (gsid),
    fzrid int,
    cbzx varchar(8),
    clrq date
);
COMMENT ON TABLE bm IS '部门';
COMMENT ON COLUMN bm.bmid IS '部门ID';
COMMENT ON COLUMN bm.bmbm IS '部门编码';
COMMENT ON COLUMN bm.bmmc IS '部门名称，如 技术部、财务部';
COMMENT ON COLUMN bm.sjbmid IS '上级部门ID';
COMMENT ON COLUMN bm.gsid IS '所属公司ID，关联 gs.gsid';
COMMENT ON COLUMN bm.fzrid IS '部门负责人的员工ID';
COMMENT ON COLUMN bm.cbzx IS '成本中心编码';
COMMENT ON COLUMN bm.clrq IS '成立日期';
INSERT INTO bm (bmid, bmbm, bmmc, sjbmid, gsid, cbzx, clrq) VALUES
    (1, 'D01', '总经办', NULL, 1, 'CC01', '2012-03-01'),
    (2, 'D02', '技术部', 1, 1, 'CC02', '2012-03-01'),
    (3, 'D03', '财务部', 1, 1, 'CC03', '2012-03-01'),
    (4, 'D04', '人力资源部', 1, 1, 'CC04', '2013-01-01'),
    (5, 'D05', '销售部', 1, 1, 'CC05', '2012-06-01'),
    (6, 'D06', '市场部', 1, 2, 'CC06', '2015-05-01'),
    (7, 'D07', '行政部', 1, 1, 'CC07', '2013-01-01'),
    (8, 'D08', '上海销售部', 5, 2, 'CC08', '2016-09-01'),
    (9, 'D09', '宁波销售部', 5, 3, 'CC09', '2019-03-01');

CREATE TABLE zw (
    zwid int PRIMARY KEY,
    zwmc varchar(16) NOT NULL,
    zj varchar(4) NOT NULL,
    xl varchar(4) NOT NULL
);
COMMENT ON TABLE zw IS '职位';
COMMENT ON COLUMN zw.zwmc IS '职位名称，如 软件工程师、会计';
COMMENT ON COLUMN zw.zj IS '职级，如 P5、M2';
COMMENT ON COLUMN zw.xl IS '职位序列：管理、技术、职能、销售、市场';
INSERT INTO zw VALUES
    (1, '总经理', 'M5', '管理'), (2, '技术总监', 'M3', '技术'), (3, '高级工程师', 'P7', '技术'),
    (4, '软件工程师', 'P5', '技术'), (5, '财务经理', 'M2', '职能'), (6, '会计', 'P4', '职能'),
    (7, '出纳', 'P3', '职能'), (8, 'HRBP', 'P5', '职能'), (9, '销售经理', 'M2', '销售'),
    (10, '销售代表', 'P3', '销售'), (11, '市场专员', 'P4', '市场'), (12, '行政专员', 'P3', '职能');

-- The wide table: an 员工档案 of 62 columns, of which questions need a handful.
CREATE TABLE yg_xx (
    ygid int PRIMARY KEY,
    gh varchar(8) NOT NULL UNIQUE,
    xm varchar(16) NOT NULL,
    ywm varchar(32),
    xb char(1),
    csrq date,
    sfzh varchar(18),
    sjh varchar(11),
    gzyx varchar(64),
    gryx varchar(64),
    wxh varchar(32),
    gsid int NOT NULL REFERENCES gs (gsid),
    bmid int NOT NULL REFERENCES bm (bmid),
    zwid int NOT NULL REFERENCES zw (zwid),
    hbdx int REFERENCES yg_xx (ygid),
    rzrq date NOT NULL,
    zzrq date,
    lzrq date,
    lzyy varchar(32),
    zt varchar(4) NOT NULL,
    yglx varchar(4) NOT NULL DEFAULT '全职',
    gzcs varchar(16) NOT NULL,
    kqz varchar(16),
    jg varchar(16),
    mz varchar(8),
    hyzk varchar(4),
    zzmm varchar(8),
    zgxl varchar(4),
    byyx varchar(32),
    zy varchar(32),
    byrq date,
    hjszd varchar(32),
    xjzdz varchar(64),
    jjlxr varchar(16),
    jjlxrgx varchar(8),
    jjlxrdh varchar(20),
    khh varchar(32),
    yhkh varchar(24),
    sbjnd varchar(16),
    sbzh varchar(24),
    gjjzh varchar(24),
    njts int,
    syqys int,
    xx varchar(4),
    sg int,
    tz int,
    tc varchar(32),
    ah varchar(32),
    zpdz varchar(128),
    yzbm varchar(6),
    gjdq varchar(16),
    sfcj boolean NOT NULL DEFAULT false,
    bz text,
    c1 varchar(32),
    c2 varchar(32),
    c3 varchar(32),
    f_flag smallint,
    ext jsonb,
    cjr varchar(16),
    cjsj timestamp DEFAULT now(),
    gxr varchar(16),
    gxsj timestamp
);
COMMENT ON TABLE yg_xx IS '员工档案';
COMMENT ON COLUMN yg_xx.ygid IS '员工ID';
COMMENT ON COLUMN yg_xx.gh IS '工号，如 A001';
COMMENT ON COLUMN yg_xx.xm IS '姓名';
COMMENT ON COLUMN yg_xx.ywm IS '英文名';
COMMENT ON COLUMN yg_xx.xb IS '性别：男、女';
COMMENT ON COLUMN yg_xx.csrq IS '出生日期';
COMMENT ON COLUMN yg_xx.sfzh IS '身份证号';
COMMENT ON COLUMN yg_xx.sjh IS '手机号码';
COMMENT ON COLUMN yg_xx.gzyx IS '工作邮箱';
COMMENT ON COLUMN yg_xx.gryx IS '个人邮箱';
COMMENT ON COLUMN yg_xx.wxh IS '微信号';
COMMENT ON COLUMN yg_xx.gsid IS '所属公司ID，关联 gs.gsid';
COMMENT ON COLUMN yg_xx.bmid IS '部门ID，关联 bm.bmid';
COMMENT ON COLUMN yg_xx.zwid IS '职位ID，关联 zw.zwid';
COMMENT ON COLUMN yg_xx.hbdx IS '直属上级的员工ID';
COMMENT ON COLUMN yg_xx.rzrq IS '入职日期';
COMMENT ON COLUMN yg_xx.zzrq IS '转正日期';
COMMENT ON COLUMN yg_xx.lzrq IS '离职日期，在职为空';
COMMENT ON COLUMN yg_xx.lzyy IS '离职原因';
COMMENT ON COLUMN yg_xx.zt IS '在职状态：在职、试用、离职';
COMMENT ON COLUMN yg_xx.yglx IS '用工类型：全职、实习、外包';
COMMENT ON COLUMN yg_xx.gzcs IS '工作城市：杭州、上海、宁波';
COMMENT ON COLUMN yg_xx.kqz IS '考勤组';
COMMENT ON COLUMN yg_xx.jg IS '籍贯';
COMMENT ON COLUMN yg_xx.mz IS '民族';
COMMENT ON COLUMN yg_xx.hyzk IS '婚姻状况';
COMMENT ON COLUMN yg_xx.zzmm IS '政治面貌';
COMMENT ON COLUMN yg_xx.zgxl IS '最高学历：大专、本科、硕士、博士';
COMMENT ON COLUMN yg_xx.byyx IS '毕业院校';
COMMENT ON COLUMN yg_xx.zy IS '所学专业';
COMMENT ON COLUMN yg_xx.byrq IS '毕业日期';
COMMENT ON COLUMN yg_xx.hjszd IS '户籍所在地';
COMMENT ON COLUMN yg_xx.xjzdz IS '现居地址';
COMMENT ON COLUMN yg_xx.jjlxr IS '紧急联系人';
COMMENT ON COLUMN yg_xx.jjlxrgx IS '与紧急联系人的关系';
COMMENT ON COLUMN yg_xx.jjlxrdh IS '紧急联系人电话';
COMMENT ON COLUMN yg_xx.khh IS '工资卡开户行';
COMMENT ON COLUMN yg_xx.yhkh IS '工资卡号';
COMMENT ON COLUMN yg_xx.sbjnd IS '社保缴纳地';
COMMENT ON COLUMN yg_xx.sbzh IS '社保账号';
COMMENT ON COLUMN yg_xx.gjjzh IS '公积金账号';
COMMENT ON COLUMN yg_xx.njts IS '每年年假天数';
COMMENT ON COLUMN yg_xx.syqys IS '试用期（月）';
COMMENT ON COLUMN yg_xx.xx IS '血型';
COMMENT ON COLUMN yg_xx.sg IS '身高（厘米）';
COMMENT ON COLUMN yg_xx.tz IS '体重（公斤）';
COMMENT ON COLUMN yg_xx.tc IS '特长';
COMMENT ON COLUMN yg_xx.ah IS '爱好';
COMMENT ON COLUMN yg_xx.zpdz IS '证件照链接';
COMMENT ON COLUMN yg_xx.yzbm IS '邮政编码';
COMMENT ON COLUMN yg_xx.gjdq IS '国籍';
COMMENT ON COLUMN yg_xx.sfcj IS '是否残疾';
COMMENT ON COLUMN yg_xx.bz IS '备注';
COMMENT ON COLUMN yg_xx.cjr IS '创建人';
COMMENT ON COLUMN yg_xx.cjsj IS '创建时间';
COMMENT ON COLUMN yg_xx.gxr IS '更新人';
COMMENT ON COLUMN yg_xx.gxsj IS '更新时间';
INSERT INTO yg_xx (ygid, gh, xm, xb, csrq, sjh, gzyx, gsid, bmid, zwid, hbdx, rzrq, zzrq, lzrq,
                   lzyy, zt, gzcs, zgxl, byyx, njts, c3, f_flag) VALUES
    (1, 'A001', '周建华', '男', '1975-04-12', '13500000001', 'zhoujh@corp.cn', 1, 1, 1, NULL,
     '2012-03-01', '2012-03-01', NULL, NULL, '在职', '杭州', '硕士', '浙江大学', 15, 'X', 1),
    (2, 'A002', '孙晓明', '男', '1982-08-20', '13500000002', 'sunxm@corp.cn', 1, 2, 2, 1,
     '2014-06-15', '2014-09-15', NULL, NULL, '在职', '杭州', '硕士', '浙江大学', 15, 'X', 1),
    (3, 'A003', '钱雨', '女', '1988-01-05', '13500000003', 'qiany@corp.cn', 1, 2, 3, 2,
     '2016-09-01', '2016-12-01', NULL, NULL, '在职', '杭州', '本科', '杭州电子科技大学', 12,
     NULL, 0),
    (4, 'A004', '李想', '男', '1996-03-18', '13500000004', 'lix@corp.cn', 1, 2, 4, 2,
     '2021-07-12', '2021-10-12', NULL, NULL, '在职', '杭州', '本科', '浙江工业大学', 10, NULL,
     0),
    (5, 'A005', '王晨', '男', '2001-10-01', '13500000005', 'wangc@corp.cn', 1, 2, 4, 2,
     current_date - 60, NULL, NULL, NULL, '试用', '杭州', '硕士', '宁波大学', 5, NULL, 0),
    (6, 'A006', '赵敏', '女', '1984-06-30', '13500000006', 'zhaom@corp.cn', 1, 3, 5, 1,
     '2015-04-20', '2015-07-20', NULL, NULL, '在职', '杭州', '本科', '浙江财经大学', 15, 'Y',
     1),
    (7, 'A007', '吴倩', '女', '1993-12-12', '13500000007', 'wuq@corp.cn', 1, 3, 6, 6,
     '2019-03-11', '2019-06-11', NULL, NULL, '在职', '杭州', '本科', '浙江财经大学', 10, NULL,
     0),
    (8, 'A008', '郑丽', '女', '1997-07-07', '13500000008', 'zhengl@corp.cn', 1, 3, 7, 6,
     '2020-10-09', '2021-01-09', NULL, NULL, '在职', '杭州', '大专', '浙江金融职业学院', 7,
     NULL, 0),
    (9, 'A009', '冯婷', '女', '1990-09-09', '13500000009', 'fengt@corp.cn', 1, 4, 8, 1,
     '2018-05-02', '2018-08-02', NULL, NULL, '在职', '杭州', '硕士', '华东师范大学', 12, NULL,
     0),
    (10, 'A010', '陈刚', '男', '1983-02-02', '13500000010', 'cheng@corp.cn', 1, 5, 9, 1,
     '2017-02-13', '2017-05-13', NULL, NULL, '在职', '杭州', '本科', '浙江工商大学', 15, 'Y',
     1),
    (11, 'A011', '褚强', '男', '1994-11-11', '13500000011', 'chuq@corp.cn', 2, 8, 10, 10,
     '2020-08-01', '2020-11-01', NULL, NULL, '在职', '上海', '本科', '上海大学', 10, NULL, 0),
    (12, 'A012', '卫兰', '女', '1998-05-20', '13500000012', 'weil@corp.cn', 3, 9, 10, 10,
     '2022-03-01', '2022-06-01', NULL, NULL, '在职', '宁波', '大专', '宁波职业技术学院', 5,
     NULL, 0),
    (13, 'A013', '蒋磊', '男', '1992-04-04', '13500000013', 'jiangl@corp.cn', 2, 6, 11, 1,
     '2019-11-18', '2020-02-18', NULL, NULL, '在职', '上海', '本科', '复旦大学', 10, NULL, 0),
    (14, 'A014', '沈佳', '女', '1995-08-08', '13500000014', 'shenj@corp.cn', 1, 7, 12, 1,
     '2021-01-04', '2021-04-04', NULL, NULL, '在职', '杭州', '本科', '浙江传媒学院', 7, NULL,
     0),
    (15, 'A015', '韩东', '男', '1991-01-15', '13500000015', 'hand@corp.cn', 1, 2, 4, 2,
     '2019-05-06', '2019-08-06', (date_trunc('month', current_date) - interval '20 days')::date,
     '个人发展', '离职', '杭州', '本科', '浙江大学', 10, NULL, 0),
    (16, 'A016', '杨洁', '女', '1989-03-03', '13500000016', 'yangj@corp.cn', 2, 8, 10, 10,
     '2018-09-01', '2018-12-01', '2025-06-30', '家庭原因', '离职', '上海', '本科', '上海财经大学',
     12, NULL, 0);
ALTER TABLE bm ADD FOREIGN KEY (fzrid) REFERENCES yg_xx (ygid);
UPDATE bm SET fzrid = v.ygid
FROM (VALUES (1, 1), (2, 2), (3, 6), (4, 9), (5, 10), (6, 13), (7, 14), (8, 11), (9, 12))
     AS v (bmid, ygid)
WHERE v.bmid = bm.bmid;

CREATE TABLE ht (
    htid int PRIMARY KEY,
    ygid int NOT NULL REFERENCES yg_xx (ygid),
    htbh varchar(16) NOT NULL UNIQUE,
    htlx varchar(8) NOT NULL,
    ksrq date NOT NULL,
    jsrq date,
    qdcs int NOT NULL DEFAULT 1
);
COMMENT ON TABLE ht IS '劳动合同';
COMMENT ON COLUMN ht.htbh IS '合同编号';
COMMENT ON COLUMN ht.htlx IS '合同类型：固定期限、无固定期限';
COMMENT ON COLUMN ht.ksrq IS '合同开始日期';
COMMENT ON COLUMN ht.jsrq IS '合同结束日期，无固定期限为空';
COMMENT ON COLUMN ht.qdcs IS '第几次签订';
INSERT INTO ht VALUES
    (1, 1, 'HT001', '无固定期限', '2018-03-01', NULL, 3),
    (2, 2, 'HT002', '无固定期限', '2020-06-15', NULL, 3),
    (3, 3, 'HT003', '固定期限', '2022-09-01', '2027-08-31', 2),
    (4, 4, 'HT004', '固定期限', '2021-07-12', current_date + 20, 1),
    (5, 5, 'HT005', '固定期限', current_date - 60, current_date + 1035, 1),
    (6, 6, 'HT006', '无固定期限', '2021-04-20', NULL, 3),
    (7, 7, 'HT007', '固定期限', '2022-03-11', current_date + 45, 2),
    (8, 8, 'HT008', '固定期限', '2020-10-09', current_date + 90, 1),
    (9, 9, 'HT009', '固定期限', '2021-05-02', '2027-05-01', 2),
    (10, 10, 'HT010', '无固定期限', '2023-02-13', NULL, 3),
    (11, 11, 'HT011', '固定期限', '2023-08-01', '2028-07-31', 2),
    (12, 12, 'HT012', '固定期限', '2022-03-01', '2028-02-29', 1),
    (13, 13, 'HT013', '固定期限', '2022-11-18', '2027-11-17', 2),
    (14, 14, 'HT014', '固定期限', '2021-01-04', '2027-01-03', 1);

CREATE TABLE gz_ff (
    ffid serial PRIMARY KEY,
    ygid int NOT NULL REFERENCES yg_xx (ygid),
    gzyf date NOT NULL,
    jbgz numeric(10, 2) NOT NULL,
    jxgz numeric(10, 2) NOT NULL,
    jt numeric(10, 2) NOT NULL,
    jbf numeric(10, 2) NOT NULL,
    yfgz numeric(10, 2) NOT NULL,
    grsb numeric(10, 2) NOT NULL,
    grgjj numeric(10, 2) NOT NULL,
    grsds numeric(10, 2) NOT NULL,
    sfgz numeric(10, 2) NOT NULL,
    gssb numeric(10, 2) NOT NULL,
    gsgjj numeric(10, 2) NOT NULL,
    ffrq date NOT NULL,
    UNIQUE (ygid, gzyf)
);
COMMENT ON TABLE gz_ff IS '工资发放';
COMMENT ON COLUMN gz_ff.ygid IS '员工ID，关联 yg_xx.ygid';
COMMENT ON COLUMN gz_ff.gzyf IS '工资所属月份（当月1日）';
COMMENT ON COLUMN gz_ff.jbgz IS '基本工资';
COMMENT ON COLUMN gz_ff.jxgz IS '绩效工资';
COMMENT ON COLUMN gz_ff.jt IS '津贴';
COMMENT ON COLUMN gz_ff.jbf IS '加班费';
COMMENT ON COLUMN gz_ff.yfgz IS '应发工资';
COMMENT ON COLUMN gz_ff.grsb IS '个人缴纳社保';
COMMENT ON COLUMN gz_ff.grgjj IS '个人缴纳公积金';
COMMENT ON COLUMN gz_ff.grsds IS '个人所得税';
COMMENT ON COLUMN gz_ff.sfgz IS '实发工资';
COMMENT ON COLUMN gz_ff.gssb IS '公司缴纳社保';
COMMENT ON COLUMN gz_ff.gsgjj IS '公司缴纳公积金';
COMMENT ON COLUMN gz_ff.ffrq IS '发放日期';
WITH jb (ygid, jbgz) AS (VALUES
    (1, 60000), (2, 45000), (3, 32000), (4, 18000), (5, 15000), (6, 30000), (7, 14000),
    (8, 9000), (9, 16000), (10, 28000), (11, 12000), (12, 11000), (13, 13000), (14, 8500),
    (15, 17000), (16, 12500)
),
yf AS (
    SELECT generate_series(
        least(date '2025-01-01', (date_trunc('month', current_date) - interval '14 months')::date),
        date_trunc('month', current_date) - interval '1 month',
        interval '1 month'
    )::date AS gzyf
),
ff AS (
    SELECT y.ygid, yf.gzyf, jb.jbgz,
           round(jb.jbgz * (0.10 + ((y.ygid + extract(month FROM yf.gzyf)::int) % 4) * 0.05), 2)
               AS jxgz,
           CASE WHEN y.gzcs = '上海' THEN 800 ELSE 500 END AS jt,
           ((y.ygid * 7 + extract(month FROM yf.gzyf)::int) % 5) * 200 AS jbf
    FROM yg_xx y
    JOIN jb ON jb.ygid = y.ygid
    CROSS JOIN yf
    WHERE yf.gzyf >= date_trunc('month', y.rzrq) AND (y.lzrq IS NULL OR yf.gzyf <= y.lzrq)
),
yfgz AS (SELECT *, jbgz + jxgz + jt + jbf AS yfgz FROM ff),
kk AS (SELECT *, round(yfgz * 0.105, 2) AS grsb, round(yfgz * 0.12, 2) AS grgjj FROM yfgz)
INSERT INTO gz_ff (ygid, gzyf, jbgz, jxgz, jt, jbf, yfgz, grsb, grgjj, grsds, sfgz, gssb,
                   gsgjj, ffrq)
SELECT ygid, gzyf, jbgz, jxgz, jt, jbf, yfgz, grsb, grgjj,
       round(greatest(yfgz - grsb - grgjj - 5000, 0) * 0.1, 2),
       yfgz - grsb - grgjj - round(greatest(yfgz - grsb - grgjj - 5000, 0) * 0.1, 2),
       round(yfgz * 0.26, 2), grgjj, least((gzyf + interval '1 month 9 days')::date, current_date)
FROM kk;

CREATE TABLE gz_tz (
    tzid int PRIMARY KEY,
    ygid int NOT NULL REFERENCES yg_xx (ygid),
    tzqgz numeric(10, 2) NOT NULL,
    tzhgz numeric(10, 2) NOT NULL,
    sxrq date NOT NULL,
    tzyy varchar(16)
);
COMMENT ON TABLE gz_tz IS '调薪记录';
COMMENT ON COLUMN gz_tz.tzqgz IS '调整前基本工资';
COMMENT ON COLUMN gz_tz.tzhgz IS '调整后基本工资';
COMMENT ON COLUMN gz_tz.sxrq IS '生效日期';
COMMENT ON COLUMN gz_tz.tzyy IS '调整原因：年度调薪、晋升、转正';
INSERT INTO gz_tz VALUES
    (1, 4, 16000, 18000, greatest(date_trunc('year', current_date)::date, current_date - 200),
     '年度调薪'),
    (2, 3, 30000, 32000, greatest(date_trunc('year', current_date)::date, current_date - 150),
     '晋升'),
    (3, 7, 13000, 14000, '2025-04-01', '年度调薪'),
    (4, 11, 11000, 12000, '2024-07-01', '年度调薪');

CREATE TABLE kq_dk (
    jlid serial PRIMARY KEY,
    ygid int NOT NULL REFERENCES yg_xx (ygid),
    dkrq date NOT NULL,
    sbdk timestamp,
    xbdk timestamp,
    kqzt varchar(4) NOT NULL,
    UNIQUE (ygid, dkrq)
);
COMMENT ON TABLE kq_dk IS '考勤打卡记录';
COMMENT ON COLUMN kq_dk.dkrq IS '打卡日期';
COMMENT ON COLUMN kq_dk.sbdk IS '上班打卡时间';
COMMENT ON COLUMN kq_dk.xbdk IS '下班打卡时间';
COMMENT ON COLUMN kq_dk.kqzt IS '考勤状态：正常、迟到、早退、缺卡';
INSERT INTO kq_dk (ygid, dkrq, sbdk, xbdk, kqzt)
SELECT y.ygid, d::date,
       d + CASE WHEN (y.ygid + extract(doy FROM d)::int) % 9 = 0 THEN time '09:15'
                ELSE time '08:50' END,
       d + time '18:10',
       CASE WHEN (y.ygid + extract(doy FROM d)::int) % 9 = 0 THEN '迟到' ELSE '正常' END
FROM generate_series(current_date - 14, current_date - 2, interval '1 day') AS d
CROSS JOIN yg_xx AS y
WHERE y.zt <> '离职' AND extract(isodow FROM d) < 6;
INSERT INTO kq_dk (ygid, dkrq, sbdk, xbdk, kqzt) VALUES
    (3, current_date - 1, current_date - 1 + time '08:40', current_date - 1 + time '19:00', '正常'),
    (4, current_date - 1, current_date - 1 + time '09:12', current_date - 1 + time '18:30', '迟到'),
    (6, current_date - 1, current_date - 1 + time '08:55', current_date - 1 + time '17:20', '早退'),
    (7, current_date - 1, current_date - 1 + time '09:25', current_date - 1 + time '18:05', '迟到');

CREATE TABLE kq_yhz (
    ygid int NOT NULL REFERENCES yg_xx (ygid),
    kqyf date NOT NULL,
    ycqts int NOT NULL,
    sjcqts int NOT NULL,
    cdcs int NOT NULL,
    qjts int NOT NULL,
    PRIMARY KEY (ygid, kqyf)
);
COMMENT ON TABLE kq_yhz IS '考勤月汇总';
COMMENT ON COLUMN kq_yhz.kqyf IS '考勤月份（当月1日）';
COMMENT ON COLUMN kq_yhz.ycqts IS '应出勤天数';
COMMENT ON COLUMN kq_yhz.sjcqts IS '实际出勤天数';
COMMENT ON COLUMN kq_yhz.cdcs IS '迟到次数';
COMMENT ON COLUMN kq_yhz.qjts IS '请假天数';
INSERT INTO kq_yhz (ygid, kqyf, ycqts, sjcqts, cdcs, qjts)
SELECT ygid, gzyf, 21 + m % 2, 21 + m % 2 - (ygid + m) % 3, (ygid * m) % 4, (ygid + m) % 3
FROM (SELECT ygid, gzyf, extract(month FROM gzyf)::int AS m FROM gz_ff) AS t;

CREATE TABLE qj_sq (
    qjid int PRIMARY KEY,
    ygid int NOT NULL REFERENCES yg_xx (ygid),
    qjlx varchar(4) NOT NULL,
    ksrq date NOT NULL,
    jsrq date NOT NULL,
    qjts numeric(4, 1) NOT NULL,
    qjyy varchar(32),
    spzt varchar(4) NOT NULL,
    sprid int REFERENCES yg_xx (ygid)
);
COMMENT ON TABLE qj_sq IS '请假申请';
COMMENT ON COLUMN qj_sq.qjlx IS '请假类型：年假、病假、事假、婚假、产假';
COMMENT ON COLUMN qj_sq.ksrq IS '开始日期';
COMMENT ON COLUMN qj_sq.jsrq IS '结束日期';
COMMENT ON COLUMN qj_sq.qjts IS '请假天数';
COMMENT ON COLUMN qj_sq.qjyy IS '请假事由';
COMMENT ON COLUMN qj_sq.spzt IS '审批状态：待审批、已批准、已驳回';
COMMENT ON COLUMN qj_sq.sprid IS '审批人员工ID';
INSERT INTO qj_sq VALUES
    (1, 3, '年假', date_trunc('year', current_date)::date - 200,
     date_trunc('year', current_date)::date - 196, 5, '家庭旅行', '已批准', 2),
    (2, 4, '年假', date_trunc('year', current_date)::date - 120,
     date_trunc('year', current_date)::date - 116, 5, '回老家', '已批准', 2),
    (3, 6, '病假', greatest(date_trunc('month', current_date)::date, current_date - 2),
     greatest(date_trunc('month', current_date)::date, current_date - 2) + 1, 2, '感冒发烧',
     '已批准', 1),
    (4, 4, '事假', date_trunc('month', current_date)::date - 15,
     date_trunc('month', current_date)::date - 15, 1, '搬家', '已批准', 2),
    (5, 13, '婚假', current_date + 10, current_date + 12, 3, '结婚', '待审批', 1),
    (6, 7, '年假', date_trunc('year', current_date)::date - 60,
     date_trunc('year', current_date)::date - 58, 3, '休息', '已批准', 6),
    (7, 6, '年假', '2025-03-10', '2025-03-12', 3, '出游', '已批准', 1),
    (8, 11, '病假', '2025-03-03', '2025-03-03', 1, '看病', '已驳回', 10);

CREATE TABLE jb_jl (
    jbid int PRIMARY KEY,
    ygid int NOT NULL REFERENCES yg_xx (ygid),
    jbrq date NOT NULL,
    jbsc numeric(4, 1) NOT NULL,
    jblx varchar(4) NOT NULL,
    sftx boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE jb_jl IS '加班记录';
COMMENT ON COLUMN jb_jl.jbrq IS '加班日期';
COMMENT ON COLUMN jb_jl.jbsc IS '加班时长（小时）';
COMMENT ON COLUMN jb_jl.jblx IS '加班类型：工作日、周末、节假日';
COMMENT ON COLUMN jb_jl.sftx IS '是否已调休';
INSERT INTO jb_jl (jbid, ygid, jbrq, jbsc, jblx, sftx)
SELECT v.jbid, v.ygid, greatest(date_trunc('year', current_date)::date, current_date - v.ago),
       v.jbsc, v.jblx, v.sftx
FROM (VALUES
    (1, 4, 3, 3.5, '工作日', false), (2, 4, 10, 8.0, '周末', true),
    (3, 3, 10, 6.0, '周末', false), (4, 2, 20, 2.0, '工作日', false),
    (5, 5, 5, 4.0, '工作日', false), (6, 11, 30, 8.0, '周末', false),
    (7, 12, 1, 2.5, '工作日', false), (8, 4, 40, 3.0, '工作日', false)
) AS v (jbid, ygid, ago, jbsc, jblx, sftx);
INSERT INTO jb_jl VALUES (9, 4, '2025-03-15', 8.0, '周末', true);

CREATE TABLE km (
    kmid int PRIMARY KEY,
    kmdm varchar(12) NOT NULL UNIQUE,
    kmmc varchar(16) NOT NULL,
    kmlb varchar(4) NOT NULL,
    yefx char(1) NOT NULL,
    sjkmid int REFERENCES km (kmid)
);
COMMENT ON TABLE km IS '会计科目';
COMMENT ON COLUMN km.kmdm IS '科目编码，下级科目以上级编码开头';
COMMENT ON COLUMN km.kmmc IS '科目名称';
COMMENT ON COLUMN km.kmlb IS '科目类别：资产、负债、权益、损益';
COMMENT ON COLUMN km.yefx IS '余额方向：借、贷';
COMMENT ON COLUMN km.sjkmid IS '上级科目ID';
INSERT INTO km VALUES
    (1, '1001', '库存现金', '资产', '借', NULL), (2, '1002', '银行存款', '资产', '借', NULL),
    (3, '1122', '应收账款', '资产', '借', NULL), (4, '2202', '应付账款', '负债', '贷', NULL),
    (5, '2211', '应付职工薪酬', '负债', '贷', NULL), (6, '2221', '应交税费', '负债', '贷', NULL),
    (7, '6001', '主营业务收入', '损益', '贷', NULL), (8, '6601', '销售费用', '损益', '借', NULL),
    (9, '660101', '广告宣传费', '损益', '借', 8), (10, '6602', '管理费用', '损益', '借', NULL),
    (11, '660201', '办公费', '损益', '借', 10), (12, '660202', '业务招待费', '损益', '借', 10),
    (13, '660203', '差旅费', '损益', '借', 10), (14, '66020301', '交通费', '损益', '借', 13),
    (15, '66020302', '住宿费', '损益', '借', 13), (16, '66020303', '出差补助', '损益', '借', 13),
    (17, '660204', '培训费', '损益', '借', 10), (18, '660205', '通讯费', '损益', '借', 10);

CREATE TABLE bx_sq (
    bxid int PRIMARY KEY,
    bxdh varchar(16) NOT NULL UNIQUE,
    ygid int NOT NULL REFERENCES yg_xx (ygid),
    bmid int NOT NULL REFERENCES bm (bmid),
    sqrq date NOT NULL,
    bxzje numeric(12, 2),
    sy varchar(32),
    spzt varchar(4) NOT NULL,
    dkrq date
);
COMMENT ON TABLE bx_sq IS '费用报销申请';
COMMENT ON COLUMN bx_sq.bxdh IS '报销单号';
COMMENT ON COLUMN bx_sq.ygid IS '申请人的员工ID';
COMMENT ON COLUMN bx_sq.bmid IS '承担部门ID';
COMMENT ON COLUMN bx_sq.sqrq IS '申请日期';
COMMENT ON COLUMN bx_sq.bxzje IS '报销金额合计';
COMMENT ON COLUMN bx_sq.sy IS '报销事由';
COMMENT ON COLUMN bx_sq.spzt IS '审批状态：待审批、已批准、已打款、已驳回';
COMMENT ON COLUMN bx_sq.dkrq IS '打款日期';
INSERT INTO bx_sq (bxid, bxdh, ygid, bmid, sqrq, sy, spzt, dkrq) VALUES
    (1, 'BX0001', 3, 2, date_trunc('month', current_date)::date - 8, '北京客户现场部署', '已打款',
     date_trunc('month', current_date)::date - 3),
    (2, 'BX0002', 4, 2, date_trunc('month', current_date)::date - 20, '上海技术交流', '已打款',
     date_trunc('month', current_date)::date - 15),
    (3, 'BX0003', 10, 5, current_date - 3, '客户招待', '待审批', NULL),
    (4, 'BX0004', 11, 8, current_date - 12, '苏州客户拜访', '已批准', NULL),
    (5, 'BX0005', 14, 7, current_date - 6, '办公用品采购', '已打款', current_date - 2),
    (6, 'BX0006', 13, 6, '2025-03-18', '展会出差', '已打款', '2025-03-25'),
    (7, 'BX0007', 2, 2, greatest(date_trunc('year', current_date)::date, current_date - 90),
     '技术大会', '已驳回', NULL),
    (8, 'BX0008', 10, 5, date_trunc('year', current_date)::date - 20, '年会客户答谢', '已打款',
     date_trunc('year', current_date)::date - 10),
    (9, 'BX0009', 9, 4, current_date - 1, '招聘会物料', '待审批', NULL),
    (10, 'BX0010', 12, 9, date_trunc('month', current_date)::date - 3, '客户电话费', '已打款',
     date_trunc('month', current_date)::date - 1);

CREATE TABLE bx_mx (
    mxid serial PRIMARY KEY,
    bxid int NOT NULL REFERENCES bx_sq (bxid),
    kmid int NOT NULL REFERENCES km (kmid),
    je numeric(12, 2) NOT NULL,
    fsrq date NOT NULL,
    fph varchar(20),
    sm varchar(32)
);
COMMENT ON TABLE bx_mx IS '报销明细';
COMMENT ON COLUMN bx_mx.bxid IS '报销申请ID';
COMMENT ON COLUMN bx_mx.kmid IS '费用科目ID，关联 km.kmid';
COMMENT ON COLUMN bx_mx.je IS '金额';
COMMENT ON COLUMN bx_mx.fsrq IS '发生日期';
COMMENT ON COLUMN bx_mx.fph IS '票据号码';
COMMENT ON COLUMN bx_mx.sm IS '说明';
INSERT INTO bx_mx (bxid, kmid, je, fsrq, fph, sm)
SELECT v.bxid, v.kmid, v.je, s.sqrq - v.ago, v.fph, v.sm
FROM (VALUES
    (1, 14, 1280.00, 4, 'P1001', '杭州-北京往返机票'), (1, 15, 1500.00, 4, 'P1002', '酒店3晚'),
    (1, 16, 600.00, 4, NULL, '出差3天'), (2, 14, 320.00, 5, 'P1003', '高铁往返'),
    (2, 15, 680.00, 5, 'P1004', '酒店2晚'), (3, 12, 2600.00, 1, 'P1005', '客户晚宴'),
    (4, 14, 260.00, 2, 'P1006', '高铁往返'), (4, 15, 450.00, 2, 'P1007', '酒店1晚'),
    (4, 16, 200.00, 2, NULL, '出差1天'), (5, 11, 860.00, 1, 'P1008', '打印纸和文具'),
    (6, 14, 1800.00, 6, 'P1009', '上海-深圳往返机票'), (6, 15, 2400.00, 6, 'P1010', '展会酒店'),
    (7, 17, 3000.00, 3, 'P1011', '大会门票'), (8, 12, 5200.00, 2, 'P1012', '客户答谢宴'),
    (9, 11, 1500.00, 0, 'P1013', '易拉宝和宣传册'), (10, 18, 200.00, 0, 'P1014', '话费')
) AS v (bxid, kmid, je, ago, fph, sm)
JOIN bx_sq s ON s.bxid = v.bxid;
UPDATE bx_sq SET bxzje = t.je
FROM (SELECT bxid, sum(je) AS je FROM bx_mx GROUP BY bxid) AS t
WHERE t.bxid = bx_sq.bxid;

CREATE TABLE pz (
    pzid int PRIMARY KEY,
    pzzh varchar(8) NOT NULL,
    pzrq date NOT NULL,
    kjqj char(7) NOT NULL,
    zy varchar(32),
    zdrid int REFERENCES yg_xx (ygid),
    shrid int REFERENCES yg_xx (ygid),
    zt varchar(4) NOT NULL,
    fjs int NOT NULL DEFAULT 0,
    gsid int NOT NULL REFERENCES gs (gsid)
);
COMMENT ON TABLE pz IS '记账凭证';
COMMENT ON COLUMN pz.pzzh IS '凭证字号，如 记-001';
COMMENT ON COLUMN pz.pzrq IS '凭证日期';
COMMENT ON COLUMN pz.kjqj IS '会计期间，如 2025-03';
COMMENT ON COLUMN pz.zy IS '摘要';
COMMENT ON COLUMN pz.zdrid IS '制单人员工ID';
COMMENT ON COLUMN pz.shrid IS '审核人员工ID';
COMMENT ON COLUMN pz.zt IS '凭证状态：未审核、已审核、已过账';
COMMENT ON COLUMN pz.fjs IS '附件张数';
INSERT INTO pz (pzid, pzzh, pzrq, kjqj, zy, zdrid, shrid, zt, fjs, gsid)
SELECT v.pzid, v.pzzh, v.pzrq, to_char(v.pzrq, 'YYYY-MM'), v.zy, 7, v.shrid, v.zt, v.fjs, 1
FROM (VALUES
    (1, '记-001', date_trunc('month', current_date)::date - 3, '报销北京出差费用', 6, '已过账', 3),
    (2, '记-002', date_trunc('month', current_date)::date - 20, '发放工资', 6, '已过账', 1),
    (3, '记-003', current_date, '支付供应商货款', NULL, '未审核', 2),
    (4, '记-004', current_date, '收到客户回款', 6, '已审核', 1),
    (5, '记-005', date_trunc('month', current_date)::date - 2, '报销办公用品', NULL, '未审核', 1),
    (6, '记-006', date '2025-03-25', '报销展会差旅', 6, '已过账', 2)
) AS v (pzid, pzzh, pzrq, zy, shrid, zt, fjs);

CREATE TABLE pz_fl (
    flid serial PRIMARY KEY,
    pzid int NOT NULL REFERENCES pz (pzid),
    xh int NOT NULL,
    kmid int NOT NULL REFERENCES km (kmid),
    bmid int REFERENCES bm (bmid),
    jfje numeric(14, 2) NOT NULL DEFAULT 0,
    dfje numeric(14, 2) NOT NULL DEFAULT 0,
    zy varchar(32)
);
COMMENT ON TABLE pz_fl IS '凭证分录';
COMMENT ON COLUMN pz_fl.pzid IS '凭证ID，关联 pz.pzid';
COMMENT ON COLUMN pz_fl.xh IS '分录序号';
COMMENT ON COLUMN pz_fl.kmid IS '科目ID，关联 km.kmid';
COMMENT ON COLUMN pz_fl.bmid IS '核算部门ID';
COMMENT ON COLUMN pz_fl.jfje IS '借方金额';
COMMENT ON COLUMN pz_fl.dfje IS '贷方金额';
COMMENT ON COLUMN pz_fl.zy IS '分录摘要';
INSERT INTO pz_fl (pzid, xh, kmid, bmid, jfje, dfje, zy) VALUES
    (1, 1, 14, 2, 1280.00, 0, '交通费'), (1, 2, 15, 2, 1500.00, 0, '住宿费'),
    (1, 3, 16, 2, 600.00, 0, '出差补助'), (1, 4, 2, NULL, 0, 3380.00, '付款'),
    (2, 1, 5, NULL, 300000.00, 0, '发放上月工资'), (2, 2, 2, NULL, 0, 300000.00, '付款'),
    (3, 1, 4, NULL, 84800.00, 0, '付上海云启货款'), (3, 2, 2, NULL, 0, 84800.00, '付款'),
    (4, 1, 2, NULL, 120000.00, 0, '收款'), (4, 2, 3, NULL, 0, 120000.00, '客户回款'),
    (5, 1, 11, 7, 860.00, 0, '办公用品'), (5, 2, 2, NULL, 0, 860.00, '付款'),
    (6, 1, 14, 6, 1800.00, 0, '机票'), (6, 2, 15, 6, 2400.00, 0, '酒店'),
    (6, 3, 2, NULL, 0, 4200.00, '付款');

CREATE TABLE ys (
    ysid int PRIMARY KEY,
    ysnd int NOT NULL,
    bmid int NOT NULL REFERENCES bm (bmid),
    kmid int NOT NULL REFERENCES km (kmid),
    ysje numeric(14, 2) NOT NULL,
    yzxje numeric(14, 2) NOT NULL DEFAULT 0
);
COMMENT ON TABLE ys IS '部门年度预算';
COMMENT ON COLUMN ys.ysnd IS '预算年度，如 2025';
COMMENT ON COLUMN ys.bmid IS '部门ID';
COMMENT ON COLUMN ys.kmid IS '费用科目ID';
COMMENT ON COLUMN ys.ysje IS '预算金额';
COMMENT ON COLUMN ys.yzxje IS '已执行金额';
INSERT INTO ys (ysid, ysnd, bmid, kmid, ysje, yzxje)
SELECT v.ysid, extract(year FROM current_date)::int - v.ago, v.bmid, v.kmid, v.ysje, v.yzxje
FROM (VALUES
    (1, 0, 2, 13, 50000, 18000), (2, 0, 2, 17, 30000, 3000), (3, 0, 5, 12, 80000, 52000),
    (4, 0, 6, 9, 200000, 150000), (5, 0, 6, 13, 40000, 12000), (6, 0, 7, 11, 30000, 21000),
    (7, 0, 4, 17, 20000, 8000), (8, 1, 2, 13, 45000, 44000), (9, 1, 5, 12, 70000, 76000)
) AS v (ysid, ago, bmid, kmid, ysje, yzxje);

CREATE TABLE ys_tz (
    tzid int PRIMARY KEY,
    ysid int NOT NULL REFERENCES ys (ysid),
    tzje numeric(14, 2) NOT NULL,
    tzrq date NOT NULL,
    tzyy varchar(32),
    spzt varchar(4) NOT NULL
);
COMMENT ON TABLE ys_tz IS '预算调整';
COMMENT ON COLUMN ys_tz.tzje IS '调整金额，调减为负';
COMMENT ON COLUMN ys_tz.tzrq IS '调整日期';
COMMENT ON COLUMN ys_tz.tzyy IS '调整原因';
COMMENT ON COLUMN ys_tz.spzt IS '审批状态';
INSERT INTO ys_tz VALUES
    (1, 3, 10000, greatest(date_trunc('year', current_date)::date, current_date - 30),
     '旺季客户增多', '已批准'),
    (2, 4, -20000, greatest(date_trunc('year', current_date)::date, current_date - 10),
     '压缩投放', '待审批');

CREATE TABLE gys (
    gysid int PRIMARY KEY,
    gysmc varchar(64) NOT NULL,
    nsrsbh varchar(18),
    cs varchar(16),
    lxr varchar(16),
    lxdh varchar(20),
    khh varchar(32),
    yhzh varchar(24),
    hzzt varchar(4) NOT NULL DEFAULT '合作中'
);
COMMENT ON TABLE gys IS '供应商';
COMMENT ON COLUMN gys.gysmc IS '供应商名称';
COMMENT ON COLUMN gys.nsrsbh IS '纳税人识别号';
COMMENT ON COLUMN gys.cs IS '所在城市';
COMMENT ON COLUMN gys.lxr IS '联系人';
COMMENT ON COLUMN gys.lxdh IS '联系电话';
COMMENT ON COLUMN gys.khh IS '开户行';
COMMENT ON COLUMN gys.yhzh IS '银行账号';
COMMENT ON COLUMN gys.hzzt IS '合作状态：合作中、已停止';
INSERT INTO gys VALUES
    (1, '杭州西湖科技有限公司', '91330106MA27000001', '杭州', '林工', '13600000001',
     '招商银行杭州分行', '571900000000101', '合作中'),
    (2, '上海云启信息技术有限公司', '91310115MA1K000002', '上海', '黄经理', '13600000002',
     '工商银行上海分行', '1001000000000102', '合作中'),
    (3, '宁波甬江办公用品有限公司', '91330203MA2G000003', '宁波', '毛女士', '13600000003',
     '宁波银行', '8601000000000103', '合作中'),
    (4, '浙江之江物业管理有限公司', '91330100MA28000004', '杭州', '许经理', '13600000004',
     '建设银行杭州分行', '33050000000000104', '合作中'),
    (5, '北京博学培训中心', '91110108MA01000005', '北京', '高老师', '13600000005',
     '北京银行', '2000000000000105', '已停止');

CREATE TABLE fp (
    fpid int PRIMARY KEY,
    fphm varchar(20) NOT NULL UNIQUE,
    fplx varchar(8) NOT NULL,
    gysid int NOT NULL REFERENCES gys (gysid),
    kprq date NOT NULL,
    bhsje numeric(14, 2) NOT NULL,
    se numeric(14, 2) NOT NULL,
    jshj numeric(14, 2) NOT NULL,
    zt varchar(4) NOT NULL
);
COMMENT ON TABLE fp IS '进项发票（供应商开具）';
COMMENT ON COLUMN fp.fphm IS '发票号码';
COMMENT ON COLUMN fp.fplx IS '发票类型：专用发票、普通发票';
COMMENT ON COLUMN fp.gysid IS '开票供应商ID，关联 gys.gysid';
COMMENT ON COLUMN fp.kprq IS '开票日期';
COMMENT ON COLUMN fp.bhsje IS '不含税金额';
COMMENT ON COLUMN fp.se IS '税额';
COMMENT ON COLUMN fp.jshj IS '价税合计';
COMMENT ON COLUMN fp.zt IS '付款状态：未付款、已付款、已作废';
INSERT INTO fp (fpid, fphm, fplx, gysid, kprq, bhsje, se, jshj, zt)
SELECT v.fpid, v.fphm, v.fplx, v.gysid, v.kprq, v.bhsje, v.se, v.bhsje + v.se, v.zt
FROM (VALUES
    (1, '33001001', '专用发票', 1, date '2025-03-05', 50000.00, 6500.00, '已付款'),
    (2, '33001002', '专用发票', 2, date_trunc('month', current_date)::date - 15, 80000.00,
     4800.00, '未付款'),
    (3, '33001003', '普通发票', 3, current_date - 10, 3000.00, 390.00, '未付款'),
    (4, '33001004', '专用发票', 4, date_trunc('year', current_date)::date - 100, 120000.00,
     7200.00, '已付款'),
    (5, '33001005', '专用发票', 1, current_date - 5, 20000.00, 2600.00, '未付款'),
    (6, '33001006', '普通发票', 5, greatest(date_trunc('year', current_date)::date,
     current_date - 120), 10000.00, 600.00, '已作废'),
    (7, '33001007', '专用发票', 2, date '2025-03-18', 30000.00, 1800.00, '已付款'),
    (8, '33001008', '专用发票', 4, date_trunc('month', current_date)::date - 25, 40000.00,
     2400.00, '已付款'),
    (9, '33001009', '专用发票', 1, date_trunc('month', current_date)::date - 20, 5000.00,
     650.00, '已付款')
) AS v (fpid, fphm, fplx, gysid, kprq, bhsje, se, zt);

CREATE TABLE yh_zh (
    zhid int PRIMARY KEY,
    gsid int NOT NULL REFERENCES gs (gsid),
    khh varchar(32) NOT NULL,
    zh varchar(24) NOT NULL,
    zhmc varchar(32) NOT NULL,
    bz char(3) NOT NULL DEFAULT 'CNY'
);
COMMENT ON TABLE yh_zh IS '公司银行账户';
COMMENT ON COLUMN yh_zh.khh IS '开户行';
COMMENT ON COLUMN yh_zh.zh IS '银行账号';
COMMENT ON COLUMN yh_zh.zhmc IS '账户名称，如 杭州总部基本户';
COMMENT ON COLUMN yh_zh.bz IS '币种';
INSERT INTO yh_zh VALUES
    (1, 1, '招商银行杭州分行', '571900000000001', '杭州总部基本户', 'CNY'),
    (2, 2, '工商银行上海分行', '1001000000000002', '上海分公司基本户', 'CNY'),
    (3, 1, '建设银行杭州分行', '33050000000000003', '杭州总部一般户', 'CNY');

CREATE TABLE gys_fk (
    fkid int PRIMARY KEY,
    fkdh varchar(16) NOT NULL UNIQUE,
    gysid int NOT NULL REFERENCES gys (gysid),
    fpid int REFERENCES fp (fpid),
    fkrq date NOT NULL,
    fkje numeric(14, 2) NOT NULL,
    fkfs varchar(8) NOT NULL,
    zhid int NOT NULL REFERENCES yh_zh (zhid)
);
COMMENT ON TABLE gys_fk IS '供应商付款';
COMMENT ON COLUMN gys_fk.fkdh IS '付款单号';
COMMENT ON COLUMN gys_fk.gysid IS '收款供应商ID';
COMMENT ON COLUMN gys_fk.fpid IS '对应发票ID';
COMMENT ON COLUMN gys_fk.fkrq IS '付款日期';
COMMENT ON COLUMN gys_fk.fkje IS '付款金额';
COMMENT ON COLUMN gys_fk.fkfs IS '付款方式：银行转账、承兑汇票';
COMMENT ON COLUMN gys_fk.zhid IS '付款账户ID，关联 yh_zh.zhid';
INSERT INTO gys_fk VALUES
    (1, 'FK0001', 1, 1, '2025-03-25', 56500.00, '银行转账', 1),
    (2, 'FK0002', 4, 4, date_trunc('year', current_date)::date - 60, 127200.00, '承兑汇票', 1),
    (3, 'FK0003', 2, 7, '2025-04-10', 31800.00, '银行转账', 2),
    (4, 'FK0004', 4, 8, date_trunc('month', current_date)::date - 5, 42400.00, '银行转账', 1),
    (5, 'FK0005', 1, 9, date_trunc('month', current_date)::date - 8, 5650.00, '银行转账', 3);

CREATE TABLE zj_ls (
    lsid serial PRIMARY KEY,
    zhid int NOT NULL REFERENCES yh_zh (zhid),
    jysj timestamp NOT NULL,
    amt numeric(14, 2) NOT NULL,
    f_flag smallint,
    dfhm varchar(64),
    zy varchar(32),
    c3 varchar(16)
);
COMMENT ON TABLE zj_ls IS '银行资金流水';
COMMENT ON COLUMN zj_ls.zhid IS '银行账户ID';
COMMENT ON COLUMN zj_ls.jysj IS '交易时间';
COMMENT ON COLUMN zj_ls.dfhm IS '对方户名';
COMMENT ON COLUMN zj_ls.zy IS '摘要';
INSERT INTO zj_ls (zhid, jysj, amt, f_flag, dfhm, zy, c3) VALUES
    (1, date_trunc('day', now()), 120000.00, 1, '杭州味道餐饮有限公司', '客户回款', 'R'),
    (1, date_trunc('month', now()) - interval '20 days', -300000.00, 1, '工资代发', '发放工资',
     'P'),
    (1, date_trunc('month', now()) - interval '5 days', -42400.00, 1, '浙江之江物业管理有限公司',
     '付物业费', 'P'),
    (3, date_trunc('month', now()) - interval '8 days', -5650.00, 0, '杭州西湖科技有限公司',
     '付技术服务费', 'P'),
    (2, date_trunc('day', now()), 45000.00, 0, '上海申城贸易有限公司', '客户回款', 'R'),
    (2, now() - interval '40 days', 60000.00, 1, '上海申城贸易有限公司', '客户回款', 'R'),
    (3, now() - interval '40 days', 1250.00, 1, '建设银行', '利息收入', 'I'),
    (1, date_trunc('month', now()) - interval '3 days', -3380.00, 1, '钱雨', '报销款', 'P');

CREATE TABLE px_jl (
    pxid int PRIMARY KEY,
    ygid int NOT NULL REFERENCES yg_xx (ygid),
    kcmc varchar(32) NOT NULL,
    pxrq date NOT NULL,
    xs numeric(4, 1) NOT NULL,
    pxfy numeric(10, 2) NOT NULL,
    pxjg varchar(4)
);
COMMENT ON TABLE px_jl IS '培训记录';
COMMENT ON COLUMN px_jl.kcmc IS '课程名称';
COMMENT ON COLUMN px_jl.pxrq IS '培训日期';
COMMENT ON COLUMN px_jl.xs IS '学时';
COMMENT ON COLUMN px_jl.pxfy IS '培训费用';
COMMENT ON COLUMN px_jl.pxjg IS '培训结果：通过、未通过';
INSERT INTO px_jl VALUES
    (1, 4, 'Kubernetes实战', greatest(date_trunc('year', current_date)::date, current_date - 70),
     16, 3000, '通过'),
    (2, 5, '新员工入职培训', current_date - 50, 8, 500, '通过'),
    (3, 9, '劳动法实务', '2025-03-15', 12, 2500, '通过'),
    (4, 11, '大客户销售技巧', date_trunc('year', current_date)::date - 150, 16, 4000, '通过'),
    (5, 12, '大客户销售技巧', date_trunc('year', current_date)::date - 150, 16, 4000, '未通过'),
    (6, 7, '税务筹划', greatest(date_trunc('year', current_date)::date, current_date - 30), 8,
     2000, '通过');

CREATE TABLE jx_kh (
    khid int PRIMARY KEY,
    ygid int NOT NULL REFERENCES yg_xx (ygid),
    khzq varchar(8) NOT NULL,
    ksrq date NOT NULL,
    jsrq date NOT NULL,
    df numeric(5, 1) NOT NULL,
    dj char(1) NOT NULL
);
COMMENT ON TABLE jx_kh IS '绩效考核';
COMMENT ON COLUMN jx_kh.khzq IS '考核周期，如 2025H1';
COMMENT ON COLUMN jx_kh.ksrq IS '周期开始日期';
COMMENT ON COLUMN jx_kh.jsrq IS '周期结束日期';
COMMENT ON COLUMN jx_kh.df IS '考核得分';
COMMENT ON COLUMN jx_kh.dj IS '考核等级：A、B、C、D';
INSERT INTO jx_kh VALUES
    (1, 3, '2025H1', '2025-01-01', '2025-06-30', 95.0, 'A'),
    (2, 4, '2025H1', '2025-01-01', '2025-06-30', 86.0, 'B'),
    (3, 10, '2025H1', '2025-01-01', '2025-06-30', 92.0, 'A'),
    (4, 11, '2025H1', '2025-01-01', '2025-06-30', 78.0, 'C'),
    (5, 7, '2025H1', '2025-01-01', '2025-06-30', 88.0, 'B'),
    (6, 12, '2025H1', '2025-01-01', '2025-06-30', 65.0, 'D'),
    (7, 3, '2025H2', '2025-07-01', '2025-12-31', 90.0, 'A'),
    (8, 4, '2025H2', '2025-07-01', '2025-12-31', 93.0, 'A');

CREATE TABLE zp_xq (
    xqid int PRIMARY KEY,
    bmid int NOT NULL REFERENCES bm (bmid),
    zwid int NOT NULL REFERENCES zw (zwid),
    xqrs int NOT NULL,
    sqrq date NOT NULL,
    zt varchar(4) NOT NULL
);
COMMENT ON TABLE zp_xq IS '招聘需求';
COMMENT ON COLUMN zp_xq.xqrs IS '需求人数';
COMMENT ON COLUMN zp_xq.sqrq IS '提出日期';
COMMENT ON COLUMN zp_xq.zt IS '状态：招聘中、已完成、已关闭';
INSERT INTO zp_xq VALUES
    (1, 2, 4, 3, current_date - 30, '招聘中'), (2, 2, 3, 1, current_date - 60, '招聘中'),
    (3, 5, 10, 2, '2025-03-01', '已完成'), (4, 6, 11, 1, current_date - 10, '招聘中'),
    (5, 3, 6, 1, current_date - 100, '已关闭');

CREATE TABLE gd_zc (
    zcid int PRIMARY KEY,
    zcbh varchar(8) NOT NULL UNIQUE,
    zcmc varchar(32) NOT NULL,
    zclb varchar(8) NOT NULL,
    bmid int REFERENCES bm (bmid),
    syrid int REFERENCES yg_xx (ygid),
    gmrq date NOT NULL,
    yz numeric(12, 2) NOT NULL,
    zjnx int NOT NULL,
    zt varchar(4) NOT NULL
);
COMMENT ON TABLE gd_zc IS '固定资产';
COMMENT ON COLUMN gd_zc.zcbh IS '资产编号';
COMMENT ON COLUMN gd_zc.zcmc IS '资产名称';
COMMENT ON COLUMN gd_zc.zclb IS '资产类别：电子设备、办公家具、车辆';
COMMENT ON COLUMN gd_zc.bmid IS '使用部门ID';
COMMENT ON COLUMN gd_zc.syrid IS '使用人员工ID';
COMMENT ON COLUMN gd_zc.gmrq IS '购买日期';
COMMENT ON COLUMN gd_zc.yz IS '原值（元）';
COMMENT ON COLUMN gd_zc.zjnx IS '折旧年限';
COMMENT ON COLUMN gd_zc.zt IS '状态：在用、闲置、报废';
INSERT INTO gd_zc VALUES
    (1, 'ZC001', 'MacBook Pro 16', '电子设备', 2, 3, '2023-05-10', 19999.00, 3, '在用'),
    (2, 'ZC002', 'ThinkPad X1', '电子设备', 2, 4, '2021-07-12', 12999.00, 3, '在用'),
    (3, 'ZC003', '戴尔服务器R750', '电子设备', 2, NULL, '2022-03-01', 85000.00, 5, '在用'),
    (4, 'ZC004', '会议桌', '办公家具', 7, NULL, '2019-01-01', 6800.00, 5, '在用'),
    (5, 'ZC005', '别克GL8商务车', '车辆', 7, 14, '2020-06-01', 320000.00, 4, '在用'),
    (6, 'ZC006', '投影仪', '电子设备', 6, 13, '2018-02-01', 5600.00, 3, '报废');
"""

GLOSSARY = (
    GlossaryTerm(
        "人力成本",
        ("人工成本", "用人成本"),
        "应发工资加公司缴纳的社保和公积金",
        "sum(gz_ff.yfgz + gz_ff.gssb + gz_ff.gsgjj)",
        ("gz_ff",),
    ),
    GlossaryTerm(
        "差旅费",
        ("出差费用", "差旅开支"),
        "报销明细中科目编码以 660203 开头（交通费、住宿费、出差补助）的金额",
        "sum(bx_mx.je) FILTER (WHERE km.kmdm LIKE '660203%')",
        ("bx_mx", "km"),
    ),
    GlossaryTerm(
        "出勤率",
        ("考勤率",),
        "实际出勤天数占应出勤天数的比例",
        "sum(kq_yhz.sjcqts)::numeric / nullif(sum(kq_yhz.ycqts), 0)",
        ("kq_yhz",),
    ),
    GlossaryTerm(
        "预算执行率",
        ("预算使用率", "预算完成率"),
        "已执行金额占预算金额的比例",
        "sum(ys.yzxje) / nullif(sum(ys.ysje), 0)",
        ("ys",),
    ),
    GlossaryTerm(
        "离职率",
        ("流失率", "员工流失率"),
        "期间内离职的员工数占期间在册员工数的比例",
        "count(*) FILTER (WHERE yg_xx.lzrq IS NOT NULL)::numeric / nullif(count(*), 0)",
        ("yg_xx",),
    ),
    GlossaryTerm(
        "应付账款余额",
        ("应付余额", "未付货款"),
        "已收到而尚未付款的供应商发票的价税合计",
        "sum(fp.jshj) FILTER (WHERE fp.zt = '未付款')",
        ("fp",),
    ),
)

QUESTIONS = (
    ask(
        "技术部有多少在职员工",
        "value join",
        "SELECT count(*) FROM yg_xx y JOIN bm b ON b.bmid = y.bmid"
        " WHERE b.bmmc = '技术部' AND y.zt <> '离职'",
    ),
    ask(
        "财务部的职工名单",
        "synonym value join",
        "SELECT y.gh, y.xm FROM yg_xx y JOIN bm b ON b.bmid = y.bmid"
        " WHERE b.bmmc = '财务部' AND y.zt <> '离职'",
    ),
    ask(
        "各科室的在职人数",
        "synonym join",
        "SELECT b.bmmc, count(y.ygid) FROM bm b"
        " LEFT JOIN yg_xx y ON y.bmid = b.bmid AND y.zt <> '离职' GROUP BY b.bmmc",
    ),
    ask(
        "在上海工作的员工有哪些",
        "value",
        "SELECT xm FROM yg_xx WHERE gzcs = '上海' AND zt <> '离职'",
    ),
    ask("李想的手机号和邮箱", "value", "SELECT sjh, gzyx FROM yg_xx WHERE xm = '李想'"),
    ask(
        "钱雨的联系方式",
        "synonym value",
        "SELECT sjh, gzyx FROM yg_xx WHERE xm = '钱雨'",
    ),
    ask(
        "上个月全公司的实发工资合计",
        "date",
        "SELECT sum(sfgz) FROM gz_ff"
        " WHERE gzyf = date_trunc('month', current_date) - interval '1 month'",
    ),
    ask(
        "上个月各部门的薪酬总额",
        "synonym date join",
        "SELECT b.bmmc, sum(g.yfgz) FROM gz_ff g JOIN yg_xx y ON y.ygid = g.ygid"
        " JOIN bm b ON b.bmid = y.bmid"
        " WHERE g.gzyf = date_trunc('month', current_date) - interval '1 month'"
        " GROUP BY b.bmmc ORDER BY 2 DESC",
    ),
    ask(
        "李想去年拿到手的薪水一共多少",
        "synonym value date join",
        "SELECT sum(g.sfgz) FROM gz_ff g JOIN yg_xx y ON y.ygid = g.ygid WHERE y.xm = '李想'"
        " AND g.gzyf >= date_trunc('year', current_date) - interval '1 year'"
        " AND g.gzyf < date_trunc('year', current_date)",
    ),
    ask(
        "哪个部门的平均薪资最高",
        "synonym join",
        "SELECT b.bmmc, avg(g.yfgz) AS pj FROM gz_ff g JOIN yg_xx y ON y.ygid = g.ygid"
        " JOIN bm b ON b.bmid = y.bmid GROUP BY b.bmmc ORDER BY pj DESC LIMIT 1",
    ),
    ask(
        "2025年3月的人力成本",
        "glossary date",
        "SELECT sum(yfgz + gssb + gsgjj) FROM gz_ff WHERE gzyf = '2025-03-01'",
    ),
    ask(
        "今年各部门的人工成本",
        "glossary date join",
        "SELECT b.bmmc, sum(g.yfgz + g.gssb + g.gsgjj) FROM gz_ff g"
        " JOIN yg_xx y ON y.ygid = g.ygid JOIN bm b ON b.bmid = y.bmid"
        " WHERE g.gzyf >= date_trunc('year', current_date) GROUP BY b.bmmc",
    ),
    ask(
        "上个月技术部的差旅费",
        "glossary date value join",
        "SELECT sum(m.je) FROM bx_mx m JOIN km k ON k.kmid = m.kmid"
        " JOIN bx_sq s ON s.bxid = m.bxid JOIN bm b ON b.bmid = s.bmid"
        " WHERE k.kmdm LIKE '660203%' AND b.bmmc = '技术部'"
        " AND m.fsrq >= date_trunc('month', current_date) - interval '1 month'"
        " AND m.fsrq < date_trunc('month', current_date)",
    ),
    ask(
        "谁的出差费用最多",
        "glossary join",
        "SELECT y.xm, sum(m.je) AS clf FROM bx_mx m JOIN km k ON k.kmid = m.kmid"
        " JOIN bx_sq s ON s.bxid = m.bxid JOIN yg_xx y ON y.ygid = s.ygid"
        " WHERE k.kmdm LIKE '660203%' AND s.spzt IN ('已批准', '已打款')"
        " GROUP BY y.xm ORDER BY clf DESC LIMIT 1",
    ),
    ask(
        "上个月的出勤率",
        "glossary date",
        "SELECT sum(sjcqts)::numeric / sum(ycqts) FROM kq_yhz"
        " WHERE kqyf = date_trunc('month', current_date) - interval '1 month'",
    ),
    ask(
        "各部门的出勤率",
        "glossary join",
        "SELECT b.bmmc, sum(k.sjcqts)::numeric / sum(k.ycqts) FROM kq_yhz k"
        " JOIN yg_xx y ON y.ygid = k.ygid JOIN bm b ON b.bmid = y.bmid GROUP BY b.bmmc",
    ),
    ask(
        "今年各部门的预算执行率",
        "glossary date join",
        "SELECT b.bmmc, sum(ys.yzxje) / sum(ys.ysje) FROM ys JOIN bm b ON b.bmid = ys.bmid"
        " WHERE ys.ysnd = extract(year FROM current_date) GROUP BY b.bmmc",
    ),
    ask(
        "去年的员工流失率",
        "glossary date",
        "SELECT count(*) FILTER (WHERE lzrq >= date_trunc('year', current_date)"
        " - interval '1 year' AND lzrq < date_trunc('year', current_date))::numeric"
        " / count(*) FILTER (WHERE rzrq < date_trunc('year', current_date)"
        " AND (lzrq IS NULL OR lzrq >= date_trunc('year', current_date) - interval '1 year'))"
        " FROM yg_xx",
    ),
    ask(
        "现在的应付账款余额是多少",
        "glossary",
        "SELECT sum(jshj) FROM fp WHERE zt = '未付款'",
    ),
    ask(
        "每个厂商的应付余额",
        "glossary synonym join",
        "SELECT g.gysmc, sum(f.jshj) FROM fp f JOIN gys g ON g.gysid = f.gysid"
        " WHERE f.zt = '未付款' GROUP BY g.gysmc",
    ),
    ask(
        "待审批的报销单有哪些",
        "value join",
        "SELECT s.bxdh, y.xm, s.bxzje FROM bx_sq s JOIN yg_xx y ON y.ygid = s.ygid"
        " WHERE s.spzt = '待审批'",
    ),
    ask(
        "报销总额最高的10个人员",
        "synonym join",
        "SELECT y.xm, sum(s.bxzje) AS je FROM bx_sq s JOIN yg_xx y ON y.ygid = s.ygid"
        " WHERE s.spzt <> '已驳回' GROUP BY y.xm ORDER BY je DESC LIMIT 10",
    ),
    ask(
        "近30天提交了多少报销单",
        "date",
        "SELECT count(*) FROM bx_sq WHERE sqrq >= current_date - 30",
    ),
    ask(
        "今年业务招待费报销了多少",
        "value date join",
        "SELECT sum(m.je) FROM bx_mx m JOIN km k ON k.kmid = m.kmid"
        " WHERE k.kmmc = '业务招待费' AND m.fsrq >= date_trunc('year', current_date)",
    ),
    ask(
        "各个科目的报销花费",
        "synonym join",
        "SELECT k.kmmc, sum(m.je) FROM bx_mx m JOIN km k ON k.kmid = m.kmid"
        " GROUP BY k.kmmc ORDER BY 2 DESC",
    ),
    ask(
        "这个月谁请了病假",
        "value date join",
        "SELECT y.xm, q.ksrq, q.jsrq FROM qj_sq q JOIN yg_xx y ON y.ygid = q.ygid"
        " WHERE q.qjlx = '病假' AND q.ksrq >= date_trunc('month', current_date)",
    ),
    ask(
        "去年每个人休了几天年假",
        "value date join",
        "SELECT y.xm, sum(q.qjts) FROM qj_sq q JOIN yg_xx y ON y.ygid = q.ygid"
        " WHERE q.qjlx = '年假' AND q.spzt = '已批准'"
        " AND q.ksrq >= date_trunc('year', current_date) - interval '1 year'"
        " AND q.ksrq < date_trunc('year', current_date) GROUP BY y.xm",
    ),
    ask(
        "赵敏上一次请假是什么时候",
        "synonym value join",
        "SELECT max(q.ksrq) FROM qj_sq q JOIN yg_xx y ON y.ygid = q.ygid"
        " WHERE y.xm = '赵敏' AND q.ksrq <= current_date",
    ),
    ask(
        "上个月迟到次数最多的员工",
        "date join",
        "SELECT y.xm, k.cdcs FROM kq_yhz k JOIN yg_xx y ON y.ygid = k.ygid"
        " WHERE k.kqyf = date_trunc('month', current_date) - interval '1 month'"
        " ORDER BY k.cdcs DESC LIMIT 1",
    ),
    ask(
        "昨天迟到的人员",
        "synonym date value join",
        "SELECT y.xm, d.sbdk FROM kq_dk d JOIN yg_xx y ON y.ygid = d.ygid"
        " WHERE d.dkrq = current_date - 1 AND d.kqzt = '迟到'",
    ),
    ask(
        "今年加班时长最多的5个员工",
        "date join",
        "SELECT y.xm, sum(j.jbsc) AS sc FROM jb_jl j JOIN yg_xx y ON y.ygid = j.ygid"
        " WHERE j.jbrq >= date_trunc('year', current_date) GROUP BY y.xm"
        " ORDER BY sc DESC LIMIT 5",
    ),
    ask(
        "周建华的职位和职级",
        "value join",
        "SELECT z.zwmc, z.zj FROM yg_xx y JOIN zw z ON z.zwid = y.zwid WHERE y.xm = '周建华'",
    ),
    ask(
        "软件工程师有几个人",
        "value join",
        "SELECT count(*) FROM yg_xx y JOIN zw z ON z.zwid = y.zwid"
        " WHERE z.zwmc = '软件工程师' AND y.zt <> '离职'",
    ),
    ask(
        "未来60天内合同到期的员工",
        "date join",
        "SELECT y.xm, h.jsrq FROM ht h JOIN yg_xx y ON y.ygid = h.ygid"
        " WHERE h.jsrq BETWEEN current_date AND current_date + 60",
    ),
    ask("还在试用期的员工", "value", "SELECT xm, rzrq FROM yg_xx WHERE zt = '试用'"),
    ask(
        "2025年以来入职的员工",
        "date",
        "SELECT xm, rzrq FROM yg_xx WHERE rzrq >= '2025-01-01'",
    ),
    ask(
        "在职员工里本科及以上学历的占比",
        "value",
        "SELECT avg((zgxl IN ('本科', '硕士', '博士'))::int) FROM yg_xx WHERE zt <> '离职'",
    ),
    ask(
        "今年调过薪的员工和调薪幅度",
        "date join",
        "SELECT y.xm, t.tzqgz, t.tzhgz, t.tzhgz - t.tzqgz AS fd FROM gz_tz t"
        " JOIN yg_xx y ON y.ygid = t.ygid WHERE t.sxrq >= date_trunc('year', current_date)",
    ),
    ask(
        "上个月还有几张未审核的凭证",
        "date value",
        "SELECT count(*) FROM pz WHERE zt = '未审核'"
        " AND pzrq >= date_trunc('month', current_date) - interval '1 month'"
        " AND pzrq < date_trunc('month', current_date)",
    ),
    ask(
        "记-003号凭证的分录",
        "value join",
        "SELECT f.xh, k.kmmc, f.jfje, f.dfje FROM pz_fl f JOIN pz p ON p.pzid = f.pzid"
        " JOIN km k ON k.kmid = f.kmid WHERE p.pzzh = '记-003' ORDER BY f.xh",
    ),
    ask(
        "本月银行存款科目的借方发生额",
        "value date join",
        "SELECT sum(f.jfje) FROM pz_fl f JOIN km k ON k.kmid = f.kmid"
        " JOIN pz p ON p.pzid = f.pzid"
        " WHERE k.kmmc = '银行存款' AND p.pzrq >= date_trunc('month', current_date)",
    ),
    ask(
        "今年市场部的预算一共多少",
        "value date join",
        "SELECT sum(ys.ysje) FROM ys JOIN bm b ON b.bmid = ys.bmid"
        " WHERE b.bmmc = '市场部' AND ys.ysnd = extract(year FROM current_date)",
    ),
    ask(
        "杭州西湖科技有限公司开给我们的发票",
        "value join",
        "SELECT f.fphm, f.kprq, f.jshj, f.zt FROM fp f JOIN gys g ON g.gysid = f.gysid"
        " WHERE g.gysmc = '杭州西湖科技有限公司'",
    ),
    ask(
        "上个月付给每家供应商的款项",
        "date join",
        "SELECT g.gysmc, sum(k.fkje) FROM gys_fk k JOIN gys g ON g.gysid = k.gysid"
        " WHERE k.fkrq >= date_trunc('month', current_date) - interval '1 month'"
        " AND k.fkrq < date_trunc('month', current_date) GROUP BY g.gysmc",
    ),
    ask(
        "本月各银行账户的收入",
        "date join",
        "SELECT z.zhmc, sum(l.amt) FROM zj_ls l JOIN yh_zh z ON z.zhid = l.zhid"
        " WHERE l.amt > 0 AND l.jysj >= date_trunc('month', current_date) GROUP BY z.zhmc",
    ),
    ask(
        "培训花费最多的部门",
        "synonym join",
        "SELECT b.bmmc, sum(p.pxfy) AS fy FROM px_jl p JOIN yg_xx y ON y.ygid = p.ygid"
        " JOIN bm b ON b.bmid = y.bmid GROUP BY b.bmmc ORDER BY fy DESC LIMIT 1",
    ),
    ask(
        "2025年上半年绩效为A的员工",
        "date value join",
        "SELECT y.xm, k.df FROM jx_kh k JOIN yg_xx y ON y.ygid = k.ygid"
        " WHERE k.dj = 'A' AND k.ksrq >= '2025-01-01' AND k.jsrq <= '2025-06-30'",
    ),
    ask(
        "技术部还在招几个人",
        "value join",
        "SELECT sum(z.xqrs) FROM zp_xq z JOIN bm b ON b.bmid = z.bmid"
        " WHERE b.bmmc = '技术部' AND z.zt = '招聘中'",
    ),
    ask(
        "Which employees left last month?",
        "date",
        "SELECT xm, lzrq, lzyy FROM yg_xx"
        " WHERE lzrq >= date_trunc('month', current_date) - interval '1 month'"
        " AND lzrq < date_trunc('month', current_date)",
    ),
    ask(
        "雇员的平均司龄是几年",
        "synonym",
        "SELECT avg(extract(year FROM age(current_date, rzrq))) FROM yg_xx WHERE zt <> '离职'",
    ),
)

SCHEMA = QualitySchema("hr_finance", DDL, GLOSSARY, QUESTIONS)

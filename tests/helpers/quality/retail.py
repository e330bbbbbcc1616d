"""零售连锁 (retail chain): stores in 杭州, 宁波 and 上海, goods, members, orders, stock,
purchasing, returns, promotions and shifts; 32 tables in schema `public`.

Rows that relative-date questions ask about are dated from now(): a row of last month is
`date_trunc('month', now()) - interval 'N days'`, so every such question has an answer
whenever it runs. Order totals are summed from their lines at the end, so the two agree.
"""

from __future__ import annotations

from tests.helpers.quality import GlossaryTerm, QualitySchema, ask

DDL = r"""
CREATE TABLE qy (
    qyid int PRIMARY KEY,
    qymc varchar(16) NOT NULL,
    fzr varchar(16)
);
COMMENT ON TABLE qy IS '经营大区';
COMMENT ON COLUMN qy.qyid IS '大区ID';
COMMENT ON COLUMN qy.qymc IS '大区名称，如 浙江大区、上海大区';
COMMENT ON COLUMN qy.fzr IS '大区负责人姓名';
INSERT INTO qy VALUES (1, '浙江大区', '钱建国'), (2, '上海大区', '沈美玲');

CREATE TABLE md_xx (
    mdid int PRIMARY KEY,
    mdbm varchar(8) NOT NULL UNIQUE,
    mdmc varchar(32) NOT NULL,
    qyid int NOT NULL REFERENCES qy (qyid),
    cs varchar(16) NOT NULL,
    dz varchar(64),
    lxdh varchar(20),
    mdlx varchar(8) CHECK (mdlx IN ('旗舰店', '商场店', '社区店')),
    yymj numeric(8, 2),
    kyrq date,
    zt varchar(8) NOT NULL DEFAULT '营业中'
);
COMMENT ON TABLE md_xx IS '门店信息';
COMMENT ON COLUMN md_xx.mdid IS '门店ID';
COMMENT ON COLUMN md_xx.mdbm IS '门店编码，如 HZ001';
COMMENT ON COLUMN md_xx.mdmc IS '门店名称，如 湖滨银泰店';
COMMENT ON COLUMN md_xx.qyid IS '所属大区ID，关联 qy.qyid';
COMMENT ON COLUMN md_xx.cs IS '所在城市：杭州、宁波、上海';
COMMENT ON COLUMN md_xx.dz IS '门店地址';
COMMENT ON COLUMN md_xx.lxdh IS '门店电话';
COMMENT ON COLUMN md_xx.mdlx IS '门店类型：旗舰店、商场店、社区店';
COMMENT ON COLUMN md_xx.yymj IS '营业面积（平方米）';
COMMENT ON COLUMN md_xx.kyrq IS '开业日期';
COMMENT ON COLUMN md_xx.zt IS '状态：营业中、装修中、已闭店';
INSERT INTO md_xx VALUES
    (1, 'HZ001', '湖滨银泰店', 1, '杭州', '上城区延安路258号', '0571-87001001', '旗舰店', 420.00,
     '2016-05-01', '营业中'),
    (2, 'HZ002', '西溪印象城店', 1, '杭州', '余杭区五常大道1号', '0571-87001002', '商场店',
     260.00, '2019-09-20', '营业中'),
    (3, 'HZ003', '未来科技城店', 1, '杭州', '余杭区文一西路998号', '0571-87001003', '社区店',
     150.00, NULL, '装修中'),
    (4, 'NB001', '天一广场店', 1, '宁波', '海曙区中山东路188号', '0574-87002001', '商场店',
     300.00, '2018-04-18', '营业中'),
    (5, 'NB002', '鼓楼社区店', 1, '宁波', '海曙区公园路36号', '0574-87002002', '社区店', 120.00,
     '2021-06-01', '营业中'),
    (6, 'SH001', '南京路店', 2, '上海', '黄浦区南京东路800号', '021-63001001', '旗舰店', 520.00,
     '2017-10-01', '营业中'),
    (7, 'SH002', '徐家汇店', 2, '上海', '徐汇区肇嘉浜路1111号', '021-63001002', '商场店', 280.00,
     '2020-12-12', '营业中');

CREATE TABLE sp_pl (
    plid int PRIMARY KEY,
    plmc varchar(16) NOT NULL,
    fplid int REFERENCES sp_pl (plid),
    cj int NOT NULL
);
COMMENT ON TABLE sp_pl IS '商品品类';
COMMENT ON COLUMN sp_pl.plid IS '品类ID';
COMMENT ON COLUMN sp_pl.plmc IS '品类名称，如 茶叶、糕点、生鲜';
COMMENT ON COLUMN sp_pl.fplid IS '上级品类ID';
COMMENT ON COLUMN sp_pl.cj IS '层级，一级品类为 1';
INSERT INTO sp_pl VALUES
    (1, '食品', NULL, 1), (2, '茶叶', 1, 2), (3, '糕点', 1, 2), (4, '冲调', 1, 2),
    (5, '饮料', 1, 2), (6, '速冻', 1, 2), (7, '生鲜', 1, 2), (8, '酒水', 1, 2),
    (9, '日用品', NULL, 1), (10, '粮油', 1, 2);

CREATE TABLE pp (
    ppid int PRIMARY KEY,
    ppmc varchar(32) NOT NULL,
    gsd varchar(16)
);
COMMENT ON TABLE pp IS '品牌';
COMMENT ON COLUMN pp.ppid IS '品牌ID';
COMMENT ON COLUMN pp.ppmc IS '品牌名称';
COMMENT ON COLUMN pp.gsd IS '品牌归属地';
INSERT INTO pp VALUES
    (1, '狮峰', '杭州'), (2, '西湖牌', '杭州'), (3, '知味观', '杭州'), (4, '五芳斋', '嘉兴'),
    (5, '农夫山泉', '杭州'), (6, '缸鸭狗', '宁波'), (7, '古越龙山', '绍兴'), (8, '清风', '上海'),
    (9, '安吉', '湖州');

CREATE TABLE gys (
    gysid int PRIMARY KEY,
    gysmc varchar(64) NOT NULL,
    cs varchar(16),
    lxr varchar(16),
    lxdh varchar(20),
    xydj char(1) CHECK (xydj IN ('A', 'B', 'C')),
    hzksrq date
);
COMMENT ON TABLE gys IS '供应商';
COMMENT ON COLUMN gys.gysid IS '供应商ID';
COMMENT ON COLUMN gys.gysmc IS '供应商名称';
COMMENT ON COLUMN gys.cs IS '所在城市';
COMMENT ON COLUMN gys.lxr IS '联系人';
COMMENT ON COLUMN gys.lxdh IS '联系电话';
COMMENT ON COLUMN gys.xydj IS '信用等级：A、B、C';
COMMENT ON COLUMN gys.hzksrq IS '合作开始日期';
INSERT INTO gys VALUES
    (1, '杭州狮峰茶业有限公司', '杭州', '王青', '13900000001', 'A', '2016-03-01'),
    (2, '杭州西湖食品厂', '杭州', '李荷', '13900000002', 'A', '2016-03-01'),
    (3, '知味观食品有限公司', '杭州', '赵点', '13900000003', 'B', '2017-01-15'),
    (4, '嘉兴五芳斋实业有限公司', '嘉兴', '钱宗', '13900000004', 'A', '2017-05-10'),
    (5, '宁波缸鸭狗食品有限公司', '宁波', '孙圆', '13900000005', 'B', '2018-04-01'),
    (6, '舟山海鲜供应链有限公司', '舟山', '周海', '13900000006', 'C', '2019-07-01'),
    (7, '上海日化贸易有限公司', '上海', '吴洁', '13900000007', 'B', '2017-09-01'),
    (8, '绍兴黄酒集团', '绍兴', '郑醇', '13900000008', 'A', '2018-01-01'),
    (9, '浙江饮用水有限公司', '杭州', '冯泉', '13900000009', 'A', '2016-03-01');

-- The wide table: a 商品档案 of 60 columns, of which questions need a handful.
CREATE TABLE sp (
    spid int PRIMARY KEY,
    spbm varchar(16) NOT NULL UNIQUE,
    txm varchar(20),
    spmc varchar(64) NOT NULL,
    jc varchar(32),
    ywmc varchar(64),
    plid int NOT NULL REFERENCES sp_pl (plid),
    ppid int REFERENCES pp (ppid),
    gysid int REFERENCES gys (gysid),
    gg varchar(32),
    dw varchar(8),
    lsj numeric(10, 2) NOT NULL,
    jhj numeric(10, 2) NOT NULL,
    hyj numeric(10, 2),
    pfj numeric(10, 2),
    cd varchar(32),
    cdsf varchar(16),
    bzq int,
    jz numeric(10, 2),
    mz numeric(10, 2),
    chang numeric(8, 2),
    kuan numeric(8, 2),
    gao numeric(8, 2),
    ys varchar(16),
    cz varchar(16),
    kw varchar(16),
    bzfs varchar(16),
    ccfs varchar(16),
    sfjk boolean NOT NULL DEFAULT false,
    sfyj boolean NOT NULL DEFAULT false,
    sfzy boolean NOT NULL DEFAULT false,
    sfsx boolean NOT NULL DEFAULT false,
    sfcz boolean NOT NULL DEFAULT false,
    jxsl numeric(4, 2),
    xxsl numeric(4, 2),
    ssflbm varchar(20),
    zxqdl int,
    xg int,
    aqkc int,
    zgkc int,
    sjrq date,
    tsrq date,
    zt varchar(8) NOT NULL DEFAULT '在售',
    md varchar(64),
    ms text,
    ztdz varchar(128),
    tpsl int,
    bq varchar(64),
    pjpf numeric(3, 2),
    pls int,
    c1 varchar(32),
    c2 varchar(32),
    c3 varchar(32),
    f_flag smallint,
    ext1 jsonb,
    cjr varchar(16),
    cjsj timestamp DEFAULT now(),
    gxr varchar(16),
    gxsj timestamp,
    bbh int NOT NULL DEFAULT 1
);
COMMENT ON TABLE sp IS '商品档案';
COMMENT ON COLUMN sp.spid IS '商品ID';
COMMENT ON COLUMN sp.spbm IS '商品编码，如 SP0001';
COMMENT ON COLUMN sp.txm IS '条形码';
COMMENT ON COLUMN sp.spmc IS '商品名称，如 龙井茶、西湖藕粉';
COMMENT ON COLUMN sp.jc IS '商品简称';
COMMENT ON COLUMN sp.ywmc IS '英文名称';
COMMENT ON COLUMN sp.plid IS '品类ID，关联 sp_pl.plid';
COMMENT ON COLUMN sp.ppid IS '品牌ID，关联 pp.ppid';
COMMENT ON COLUMN sp.gysid IS '默认供应商ID，关联 gys.gysid';
COMMENT ON COLUMN sp.gg IS '规格';
COMMENT ON COLUMN sp.dw IS '计量单位';
COMMENT ON COLUMN sp.lsj IS '零售价（元）';
COMMENT ON COLUMN sp.jhj IS '进货价（元），即成本价';
COMMENT ON COLUMN sp.hyj IS '会员价（元）';
COMMENT ON COLUMN sp.pfj IS '批发价（元）';
COMMENT ON COLUMN sp.cd IS '产地';
COMMENT ON COLUMN sp.cdsf IS '产地省份';
COMMENT ON COLUMN sp.bzq IS '保质期（天）';
COMMENT ON COLUMN sp.jz IS '净重（克）';
COMMENT ON COLUMN sp.mz IS '毛重（克）';
COMMENT ON COLUMN sp.chang IS '包装长（厘米）';
COMMENT ON COLUMN sp.kuan IS '包装宽（厘米）';
COMMENT ON COLUMN sp.gao IS '包装高（厘米）';
COMMENT ON COLUMN sp.ys IS '颜色';
COMMENT ON COLUMN sp.cz IS '材质';
COMMENT ON COLUMN sp.kw IS '口味';
COMMENT ON COLUMN sp.bzfs IS '包装方式';
COMMENT ON COLUMN sp.ccfs IS '储存方式：常温、冷藏、冷冻';
COMMENT ON COLUMN sp.sfjk IS '是否进口';
COMMENT ON COLUMN sp.sfyj IS '是否有机';
COMMENT ON COLUMN sp.sfzy IS '是否自有品牌';
COMMENT ON COLUMN sp.sfsx IS '是否生鲜';
COMMENT ON COLUMN sp.sfcz IS '是否称重';
COMMENT ON COLUMN sp.jxsl IS '进项税率';
COMMENT ON COLUMN sp.xxsl IS '销项税率';
COMMENT ON COLUMN sp.ssflbm IS '税收分类编码';
COMMENT ON COLUMN sp.zxqdl IS '最小起订量';
COMMENT ON COLUMN sp.xg IS '箱规（每箱包含的数量）';
COMMENT ON COLUMN sp.aqkc IS '门店安全库存';
COMMENT ON COLUMN sp.zgkc IS '门店最高库存';
COMMENT ON COLUMN sp.sjrq IS '上市日期';
COMMENT ON COLUMN sp.tsrq IS '停售日期';
COMMENT ON COLUMN sp.zt IS '状态：在售、停售、待上架';
COMMENT ON COLUMN sp.md IS '卖点';
COMMENT ON COLUMN sp.ms IS '商品描述';
COMMENT ON COLUMN sp.ztdz IS '主图链接';
COMMENT ON COLUMN sp.tpsl IS '图片张数';
COMMENT ON COLUMN sp.bq IS '标签';
COMMENT ON COLUMN sp.pjpf IS '平均评分';
COMMENT ON COLUMN sp.pls IS '评论条数';
COMMENT ON COLUMN sp.cjr IS '创建人';
COMMENT ON COLUMN sp.cjsj IS '创建时间';
COMMENT ON COLUMN sp.gxr IS '更新人';
COMMENT ON COLUMN sp.gxsj IS '更新时间';
COMMENT ON COLUMN sp.bbh IS '版本号';
INSERT INTO sp (spid, spbm, spmc, plid, ppid, gysid, gg, dw, lsj, jhj, hyj, cd, cdsf, bzq,
                ccfs, sfjk, aqkc, sjrq, zt, tsrq, c3, f_flag) VALUES
    (1, 'SP0001', '龙井茶', 2, 1, 1, '250g/罐', '罐', 368.00, 220.00, 349.00, '杭州', '浙江',
     540, '常温', false, 10, '2016-04-01', '在售', NULL, 'T1', 1),
    (2, 'SP0002', '西湖藕粉', 4, 2, 2, '500g/盒', '盒', 39.90, 22.00, 36.00, '杭州', '浙江', 365,
     '常温', false, 20, '2016-04-01', '在售', NULL, 'T2', 1),
    (3, 'SP0003', '定胜糕', 3, 3, 3, '6个/盒', '盒', 18.00, 9.00, 16.00, '杭州', '浙江', 3,
     '冷藏', false, 30, '2017-02-01', '在售', NULL, NULL, 0),
    (4, 'SP0004', '五芳斋粽子', 3, 4, 4, '8只/袋', '袋', 45.00, 28.00, 42.00, '嘉兴', '浙江', 180,
     '冷冻', false, 20, '2017-06-01', '在售', NULL, 'T2', 1),
    (5, 'SP0005', '农夫山泉550ml', 5, 5, 9, '550ml/瓶', '瓶', 2.00, 1.10, 2.00, '杭州', '浙江',
     540, '常温', false, 100, '2016-04-01', '在售', NULL, NULL, 0),
    (6, 'SP0006', '安吉白茶', 2, 9, 1, '100g/盒', '盒', 298.00, 180.00, 279.00, '湖州', '浙江',
     540, '常温', false, 10, '2018-03-15', '在售', NULL, 'T1', 1),
    (7, 'SP0007', '宁波汤圆', 6, 6, 5, '400g/袋', '袋', 25.80, 14.00, 23.80, '宁波', '浙江', 270,
     '冷冻', false, 20, '2018-05-01', '在售', NULL, NULL, 1),
    (8, 'SP0008', '舟山带鱼', 7, NULL, 6, '500g/份', '份', 68.00, 45.00, 65.00, '舟山', '浙江', 7,
     '冷冻', false, 10, '2019-08-01', '在售', NULL, NULL, 0),
    (9, 'SP0009', '绍兴黄酒', 8, 7, 8, '500ml/瓶', '瓶', 59.00, 35.00, 55.00, '绍兴', '浙江', 1095,
     '常温', false, 15, '2018-02-01', '在售', NULL, 'T3', 1),
    (10, 'SP0010', '清风抽纸', 9, 8, 7, '100抽*6包', '提', 19.90, 12.00, 18.90, '上海', '上海',
     1095, '常温', false, 30, '2017-09-01', '在售', NULL, NULL, 0),
    (11, 'SP0011', '杭白菊', 2, NULL, 1, '50g/罐', '罐', 36.00, 18.00, 33.00, '桐乡', '浙江', 540,
     '常温', false, 10, '2016-04-01', '停售', '2025-10-31', 'T1', 0),
    (12, 'SP0012', '特级初榨橄榄油', 10, NULL, 7, '1L/瓶', '瓶', 129.00, 85.00, 119.00, '意大利',
     NULL, 720, '常温', true, 5, '2020-01-10', '在售', NULL, NULL, 1);

CREATE TABLE hy_dj (
    djid int PRIMARY KEY,
    djmc varchar(8) NOT NULL,
    zkl numeric(3, 2) NOT NULL,
    sjjf int NOT NULL
);
COMMENT ON TABLE hy_dj IS '会员等级';
COMMENT ON COLUMN hy_dj.djid IS '等级ID';
COMMENT ON COLUMN hy_dj.djmc IS '等级名称：普卡、银卡、金卡、钻石卡';
COMMENT ON COLUMN hy_dj.zkl IS '会员折扣率，如 0.95 表示 95 折';
COMMENT ON COLUMN hy_dj.sjjf IS '升级所需积分';
INSERT INTO hy_dj VALUES
    (1, '普卡', 1.00, 0), (2, '银卡', 0.98, 1000), (3, '金卡', 0.95, 5000),
    (4, '钻石卡', 0.90, 20000);

CREATE TABLE hy (
    hyid int PRIMARY KEY,
    hykh varchar(16) NOT NULL UNIQUE,
    xm varchar(16) NOT NULL,
    xb char(1),
    sjh varchar(11),
    cs varchar(16),
    djid int NOT NULL REFERENCES hy_dj (djid),
    zcrq date NOT NULL,
    zcmdid int REFERENCES md_xx (mdid),
    srrq date,
    jfye int NOT NULL DEFAULT 0,
    f_flag smallint
);
COMMENT ON TABLE hy IS '会员';
COMMENT ON COLUMN hy.hyid IS '会员ID';
COMMENT ON COLUMN hy.hykh IS '会员卡号';
COMMENT ON COLUMN hy.xm IS '会员姓名';
COMMENT ON COLUMN hy.xb IS '性别：男、女';
COMMENT ON COLUMN hy.sjh IS '手机号';
COMMENT ON COLUMN hy.cs IS '常住城市';
COMMENT ON COLUMN hy.djid IS '会员等级ID，关联 hy_dj.djid';
COMMENT ON COLUMN hy.zcrq IS '注册日期';
COMMENT ON COLUMN hy.zcmdid IS '注册门店ID，关联 md_xx.mdid';
COMMENT ON COLUMN hy.srrq IS '出生日期';
COMMENT ON COLUMN hy.jfye IS '积分余额';
INSERT INTO hy VALUES
    (1, 'HY0001', '张伟', '男', '13800000001', '杭州', 3, '2019-03-12', 1, '1985-06-01', 8200, 1),
    (2, 'HY0002', '李娜', '女', '13800000002', '上海', 2, '2020-07-08', 6, '1990-11-23', 1500, 0),
    (3, 'HY0003', '王芳', '女', '13800000003', '宁波', 3, '2018-11-11', 4, '1988-02-14', 6600, 1),
    (4, 'HY0004', '刘洋', '男', '13800000004', '杭州', 1, current_date - 40, 2, '1998-09-09', 120,
     0),
    (5, 'HY0005', '陈静', '女', '13800000005', '上海', 4, '2017-12-01', 6, '1982-12-30', 25000,
     1),
    (6, 'HY0006', '赵磊', '男', '13800000006', '杭州', 2, '2021-05-20', 1, '1993-04-18', 2300, 0),
    (7, 'HY0007', '孙丽', '女', '13800000007', '宁波', 1, current_date - 10, 5, '2000-07-07', 0,
     0),
    (8, 'HY0008', '周杰', '男', '13800000008', '上海', 3, '2019-08-15', 7, '1987-01-20', 5400, 1);

CREATE TABLE hy_dz (
    dzid int PRIMARY KEY,
    hyid int NOT NULL REFERENCES hy (hyid),
    shr varchar(16) NOT NULL,
    lxdh varchar(20),
    sheng varchar(16),
    cs varchar(16),
    xxdz varchar(128) NOT NULL,
    sfmr boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE hy_dz IS '会员收货地址';
COMMENT ON COLUMN hy_dz.dzid IS '地址ID';
COMMENT ON COLUMN hy_dz.hyid IS '会员ID';
COMMENT ON COLUMN hy_dz.shr IS '收货人';
COMMENT ON COLUMN hy_dz.lxdh IS '收货人电话';
COMMENT ON COLUMN hy_dz.sheng IS '省份';
COMMENT ON COLUMN hy_dz.cs IS '城市';
COMMENT ON COLUMN hy_dz.xxdz IS '详细地址';
COMMENT ON COLUMN hy_dz.sfmr IS '是否默认地址';
INSERT INTO hy_dz VALUES
    (1, 1, '张伟', '13800000001', '浙江', '杭州', '西湖区文三路100号', true),
    (2, 2, '李娜', '13800000002', '上海', '上海', '浦东新区世纪大道88号', true),
    (3, 3, '王芳', '13800000003', '浙江', '宁波', '鄞州区四明中路999号', true),
    (4, 5, '陈静', '13800000005', '上海', '上海', '静安区南京西路1266号', true),
    (5, 1, '张伟母亲', '13800000011', '浙江', '绍兴', '越城区解放北路168号', false);

CREATE TABLE yg (
    ygid int PRIMARY KEY,
    gh varchar(8) NOT NULL UNIQUE,
    xm varchar(16) NOT NULL,
    mdid int REFERENCES md_xx (mdid),
    gw varchar(8) NOT NULL,
    rzrq date NOT NULL,
    sjh varchar(11),
    zt varchar(4) NOT NULL DEFAULT '在职'
);
COMMENT ON TABLE yg IS '门店员工';
COMMENT ON COLUMN yg.ygid IS '员工ID';
COMMENT ON COLUMN yg.gh IS '工号';
COMMENT ON COLUMN yg.xm IS '姓名';
COMMENT ON COLUMN yg.mdid IS '所属门店ID，总部员工为空';
COMMENT ON COLUMN yg.gw IS '岗位：店长、收银员、理货员、导购、采购员';
COMMENT ON COLUMN yg.rzrq IS '入职日期';
COMMENT ON COLUMN yg.sjh IS '手机号';
COMMENT ON COLUMN yg.zt IS '在职状态：在职、离职';
INSERT INTO yg VALUES
    (1, 'E001', '马晓东', 1, '店长', '2016-04-01', '13700000001', '在职'),
    (2, 'E002', '林小红', 2, '店长', '2019-08-01', '13700000002', '在职'),
    (3, 'E003', '吴敏', 1, '收银员', '2018-03-05', '13700000003', '在职'),
    (4, 'E004', '郑浩', 2, '收银员', '2020-01-10', '13700000004', '在职'),
    (5, 'E005', '冯雪', NULL, '采购员', '2016-03-01', '13700000005', '在职'),
    (6, 'E006', '蒋涛', 4, '收银员', '2018-04-01', '13700000006', '在职'),
    (7, 'E007', '沈玉', 5, '收银员', '2021-05-20', '13700000007', '在职'),
    (8, 'E008', '韩梅', 6, '收银员', '2017-09-15', '13700000008', '在职'),
    (9, 'E009', '杨帆', 7, '收银员', '2020-11-20', '13700000009', '在职'),
    (10, 'E010', '朱琳', 6, '店长', '2017-09-01', '13700000010', '在职'),
    (11, 'E011', '秦川', 4, '理货员', '2019-02-01', '13700000011', '在职'),
    (12, 'E012', '许诺', 1, '导购', '2022-06-01', '13700000012', '离职');

CREATE TABLE store_shift (
    shift_id int PRIMARY KEY,
    employee_id int NOT NULL REFERENCES yg (ygid),
    store_id int NOT NULL REFERENCES md_xx (mdid),
    shift_date date NOT NULL,
    shift_type varchar(4) NOT NULL,
    start_time time NOT NULL,
    end_time time NOT NULL
);
COMMENT ON TABLE store_shift IS '员工排班';
COMMENT ON COLUMN store_shift.employee_id IS '员工ID，关联 yg.ygid';
COMMENT ON COLUMN store_shift.store_id IS '门店ID，关联 md_xx.mdid';
COMMENT ON COLUMN store_shift.shift_date IS '排班日期';
COMMENT ON COLUMN store_shift.shift_type IS '班次：早班、晚班、全天';
COMMENT ON COLUMN store_shift.start_time IS '上班时间';
COMMENT ON COLUMN store_shift.end_time IS '下班时间';
INSERT INTO store_shift VALUES
    (1, 3, 1, current_date - 1, '早班', '08:00', '16:00'),
    (2, 1, 1, current_date - 1, '晚班', '14:00', '22:00'),
    (3, 3, 1, current_date, '晚班', '14:00', '22:00'),
    (4, 1, 1, current_date, '早班', '08:00', '16:00'),
    (5, 3, 1, current_date + 1, '早班', '08:00', '16:00'),
    (6, 4, 2, current_date + 1, '早班', '09:00', '17:00'),
    (7, 2, 2, current_date + 1, '晚班', '13:00', '21:00'),
    (8, 8, 6, current_date + 1, '全天', '09:00', '21:00'),
    (9, 6, 4, current_date + 1, '晚班', '14:00', '22:00'),
    (10, 11, 4, current_date, '早班', '07:00', '15:00');

CREATE TABLE promo_campaign (
    campaign_id int PRIMARY KEY,
    campaign_name varchar(32) NOT NULL,
    start_date date NOT NULL,
    end_date date NOT NULL,
    discount_type varchar(8) NOT NULL,
    discount_rate numeric(3, 2),
    budget numeric(12, 2)
);
COMMENT ON TABLE promo_campaign IS '促销活动';
COMMENT ON COLUMN promo_campaign.campaign_name IS '活动名称';
COMMENT ON COLUMN promo_campaign.start_date IS '开始日期';
COMMENT ON COLUMN promo_campaign.end_date IS '结束日期';
COMMENT ON COLUMN promo_campaign.discount_type IS '促销方式：折扣、满减、买赠';
COMMENT ON COLUMN promo_campaign.discount_rate IS '折扣率，如 0.85 表示 85 折';
COMMENT ON COLUMN promo_campaign.budget IS '活动预算（元）';
INSERT INTO promo_campaign VALUES
    (1, '双十一狂欢节', '2024-11-01', '2024-11-11', '折扣', 0.85, 50000),
    (2, '春茶上新季', '2025-03-01', '2025-04-15', '折扣', 0.90, 30000),
    (3, '端午粽香节', '2025-05-20', '2025-06-02', '满减', NULL, 20000),
    (4, '年终会员日', date_trunc('month', current_date)::date,
     (date_trunc('month', current_date) + interval '1 month - 1 day')::date, '折扣', 0.88, 40000);

CREATE TABLE promo_sp (
    campaign_id int NOT NULL REFERENCES promo_campaign (campaign_id),
    spid int NOT NULL REFERENCES sp (spid),
    promo_price numeric(10, 2) NOT NULL,
    PRIMARY KEY (campaign_id, spid)
);
COMMENT ON TABLE promo_sp IS '促销活动商品';
COMMENT ON COLUMN promo_sp.campaign_id IS '活动ID';
COMMENT ON COLUMN promo_sp.spid IS '商品ID';
COMMENT ON COLUMN promo_sp.promo_price IS '活动价（元）';
INSERT INTO promo_sp VALUES
    (1, 1, 313.00), (1, 2, 33.90), (1, 6, 253.00), (2, 1, 331.00), (2, 6, 268.00),
    (2, 11, 32.00), (3, 4, 39.00), (4, 1, 330.00), (4, 9, 52.00);

CREATE TABLE promo_md (
    campaign_id int NOT NULL REFERENCES promo_campaign (campaign_id),
    mdid int NOT NULL REFERENCES md_xx (mdid),
    PRIMARY KEY (campaign_id, mdid)
);
COMMENT ON TABLE promo_md IS '参与促销活动的门店';
INSERT INTO promo_md VALUES
    (1, 1), (1, 2), (1, 6), (2, 1), (2, 2), (2, 4), (3, 4), (3, 5),
    (4, 1), (4, 2), (4, 4), (4, 5), (4, 6), (4, 7);

CREATE TABLE xs_dd (
    ddid int PRIMARY KEY,
    ddbh varchar(16) NOT NULL UNIQUE,
    mdid int NOT NULL REFERENCES md_xx (mdid),
    hyid int REFERENCES hy (hyid),
    syyid int REFERENCES yg (ygid),
    xdsj timestamp NOT NULL,
    qd varchar(8) NOT NULL,
    zffs varchar(8),
    spze numeric(12, 2),
    yhje numeric(12, 2) NOT NULL DEFAULT 0,
    ddje numeric(12, 2),
    zt varchar(8) NOT NULL
);
COMMENT ON TABLE xs_dd IS '销售订单';
COMMENT ON COLUMN xs_dd.ddid IS '订单ID';
COMMENT ON COLUMN xs_dd.ddbh IS '订单编号';
COMMENT ON COLUMN xs_dd.mdid IS '门店ID，关联 md_xx.mdid';
COMMENT ON COLUMN xs_dd.hyid IS '会员ID，非会员订单为空';
COMMENT ON COLUMN xs_dd.syyid IS '收银员ID，关联 yg.ygid';
COMMENT ON COLUMN xs_dd.xdsj IS '下单时间';
COMMENT ON COLUMN xs_dd.qd IS '下单渠道：门店、小程序、外卖';
COMMENT ON COLUMN xs_dd.zffs IS '支付方式：微信、支付宝、现金、银行卡';
COMMENT ON COLUMN xs_dd.spze IS '商品原价合计（元）';
COMMENT ON COLUMN xs_dd.yhje IS '优惠金额（元）';
COMMENT ON COLUMN xs_dd.ddje IS '订单实付金额（元）';
COMMENT ON COLUMN xs_dd.zt IS '订单状态：已完成、已退货、已取消';
INSERT INTO xs_dd (ddid, ddbh, mdid, hyid, syyid, xdsj, qd, zffs, yhje, zt) VALUES
    (1, 'DD0001', 1, 1, 3, now() - interval '1 day', '门店', '微信', 0, '已完成'),
    (2, 'DD0002', 1, 4, 3, now() - interval '2 days', '小程序', '支付宝', 5, '已完成'),
    (3, 'DD0003', 2, 6, 4, now() - interval '3 days', '门店', '微信', 0, '已完成'),
    (4, 'DD0004', 6, 2, 8, now() - interval '5 days', '门店', '银行卡', 0, '已完成'),
    (5, 'DD0005', 7, 5, 9, now() - interval '8 days', '外卖', '支付宝', 10, '已完成'),
    (6, 'DD0006', 4, 3, 6, now() - interval '12 days', '门店', '现金', 0, '已完成'),
    (7, 'DD0007', 5, NULL, 7, now() - interval '20 days', '门店', '现金', 0, '已完成'),
    (8, 'DD0008', 1, 1, 3, now() - interval '25 days', '门店', '微信', 0, '已退货'),
    (9, 'DD0009', 6, 8, 8, date_trunc('month', now()) - interval '10 days' + interval '15 hours',
     '门店', '微信', 0, '已完成'),
    (10, 'DD0010', 2, 1, 4, date_trunc('month', now()) - interval '12 days' + interval '11 hours',
     '小程序', '微信', 20, '已完成'),
    (11, 'DD0011', 4, 3, 6, date_trunc('month', now()) - interval '18 days' + interval '19 hours',
     '门店', '支付宝', 0, '已完成'),
    (12, 'DD0012', 7, 5, 9, date_trunc('month', now()) - interval '25 days' + interval '14 hours',
     '门店', '银行卡', 0, '已完成'),
    (13, 'DD0013', 1, NULL, 3, date_trunc('month', now()) - interval '5 days' + interval '10 hours',
     '门店', '现金', 0, '已取消'),
    (14, 'DD0014', 6, 2, 8, date_trunc('day', now()), '小程序', '微信', 0, '已完成'),
    (15, 'DD0015', 1, 6, 3,
     date_trunc('year', now()) - interval '5 months' + interval '3 days 16 hours', '门店', '微信',
     0, '已完成'),
    (16, 'DD0016', 4, 3, 6,
     date_trunc('year', now()) - interval '9 months' + interval '10 days 10 hours', '门店',
     '支付宝', 0, '已完成'),
    (17, 'DD0017', 6, 5, 8, date_trunc('year', now()) - interval '11 months' + interval '20 hours',
     '门店', '银行卡', 50, '已完成'),
    (18, 'DD0018', 2, 4, 4, '2025-03-08 15:30', '门店', '微信', 0, '已完成'),
    (19, 'DD0019', 7, 8, 9, '2025-03-21 12:05', '外卖', '支付宝', 0, '已完成'),
    (20, 'DD0020', 5, 3, 7, '2025-03-29 18:40', '门店', '现金', 0, '已完成'),
    (21, 'DD0021', 1, 1, 3, '2024-11-11 20:00', '小程序', '微信', 30, '已完成'),
    (22, 'DD0022', 6, 2, 8, '2024-06-18 10:00', '门店', '银行卡', 0, '已完成'),
    (23, 'DD0023', 2, 6, 4, now() - interval '40 days', '门店', '微信', 0, '已完成'),
    (24, 'DD0024', 4, NULL, 6, now() - interval '2 days', '门店', '现金', 0, '已完成');

CREATE TABLE xs_ddmx (
    mxid serial PRIMARY KEY,
    ddid int NOT NULL REFERENCES xs_dd (ddid),
    spid int NOT NULL REFERENCES sp (spid),
    qty int NOT NULL,
    dj numeric(10, 2) NOT NULL,
    amt numeric(12, 2) NOT NULL,
    campaign_id int REFERENCES promo_campaign (campaign_id)
);
COMMENT ON TABLE xs_ddmx IS '销售订单明细';
COMMENT ON COLUMN xs_ddmx.ddid IS '订单ID，关联 xs_dd.ddid';
COMMENT ON COLUMN xs_ddmx.spid IS '商品ID，关联 sp.spid';
COMMENT ON COLUMN xs_ddmx.dj IS '成交价（元）';
COMMENT ON COLUMN xs_ddmx.campaign_id IS '参与的促销活动ID';
INSERT INTO xs_ddmx (ddid, spid, qty, dj, amt, campaign_id)
SELECT v.ddid, v.spid, v.qty, v.dj, v.qty * v.dj, v.campaign_id
FROM (VALUES
    (1, 1, 1, 368.00, NULL), (1, 3, 2, 18.00, NULL), (2, 2, 2, 39.90, NULL), (2, 5, 6, 2.00, NULL),
    (3, 6, 1, 298.00, NULL), (4, 1, 2, 330.00, 4), (4, 9, 1, 52.00, 4), (5, 8, 2, 68.00, NULL),
    (5, 7, 1, 25.80, NULL), (6, 7, 3, 25.80, NULL), (6, 2, 1, 39.90, NULL), (7, 5, 12, 2.00, NULL),
    (8, 4, 2, 45.00, NULL), (9, 1, 1, 368.00, NULL), (9, 3, 3, 18.00, NULL),
    (10, 6, 2, 298.00, NULL), (11, 8, 1, 68.00, NULL), (11, 9, 2, 59.00, NULL),
    (12, 1, 3, 368.00, NULL), (13, 3, 1, 18.00, NULL), (14, 2, 4, 39.90, NULL),
    (15, 1, 1, 368.00, NULL), (15, 4, 1, 45.00, NULL), (16, 7, 2, 25.80, NULL),
    (16, 3, 2, 18.00, NULL), (17, 1, 4, 368.00, NULL), (18, 3, 5, 18.00, NULL),
    (19, 9, 2, 59.00, NULL), (19, 8, 1, 68.00, NULL), (20, 4, 3, 45.00, NULL),
    (21, 1, 2, 313.00, 1), (21, 2, 2, 33.90, 1), (22, 12, 1, 129.00, NULL),
    (23, 11, 2, 36.00, NULL), (24, 5, 3, 2.00, NULL), (24, 3, 1, 18.00, NULL)
) AS v (ddid, spid, qty, dj, campaign_id);

UPDATE xs_dd SET spze = t.spze, ddje = t.spze - xs_dd.yhje
FROM (SELECT ddid, sum(amt) AS spze FROM xs_ddmx GROUP BY ddid) AS t
WHERE t.ddid = xs_dd.ddid;

CREATE TABLE th_sq (
    thid int PRIMARY KEY,
    thdh varchar(16) NOT NULL UNIQUE,
    ddid int NOT NULL REFERENCES xs_dd (ddid),
    spid int NOT NULL REFERENCES sp (spid),
    thsl int NOT NULL,
    thje numeric(12, 2) NOT NULL,
    thyy varchar(16),
    sqsj timestamp NOT NULL,
    clzt varchar(8) NOT NULL
);
COMMENT ON TABLE th_sq IS '退货申请';
COMMENT ON COLUMN th_sq.thdh IS '退货单号';
COMMENT ON COLUMN th_sq.ddid IS '原订单ID，关联 xs_dd.ddid';
COMMENT ON COLUMN th_sq.spid IS '退货商品ID';
COMMENT ON COLUMN th_sq.thsl IS '退货数量';
COMMENT ON COLUMN th_sq.thje IS '退货金额（元）';
COMMENT ON COLUMN th_sq.thyy IS '退货原因：质量问题、不想要了、发错货';
COMMENT ON COLUMN th_sq.sqsj IS '申请时间';
COMMENT ON COLUMN th_sq.clzt IS '处理状态：待审核、已完成、已拒绝';
INSERT INTO th_sq VALUES
    (1, 'TH0001', 8, 4, 2, 90.00, '不想要了', now() - interval '24 days', '已完成'),
    (2, 'TH0002', 5, 8, 1, 68.00, '质量问题', now() - interval '7 days', '已完成'),
    (3, 'TH0003', 11, 8, 1, 68.00, '质量问题',
     date_trunc('month', now()) - interval '16 days', '已完成'),
    (4, 'TH0004', 19, 9, 1, 59.00, '发错货', '2025-03-23 09:00', '已拒绝'),
    (5, 'TH0005', 3, 6, 1, 298.00, '质量问题', now() - interval '1 day', '待审核');

CREATE TABLE hy_jf_ls (
    lsid serial PRIMARY KEY,
    hyid int NOT NULL REFERENCES hy (hyid),
    bdlx varchar(8) NOT NULL,
    bdjf int NOT NULL,
    bdsj timestamp NOT NULL,
    ddid int REFERENCES xs_dd (ddid)
);
COMMENT ON TABLE hy_jf_ls IS '会员积分流水';
COMMENT ON COLUMN hy_jf_ls.bdlx IS '变动类型：下单获得、兑换扣减、过期清零';
COMMENT ON COLUMN hy_jf_ls.bdjf IS '积分变动值，扣减为负';
COMMENT ON COLUMN hy_jf_ls.bdsj IS '变动时间';
INSERT INTO hy_jf_ls (hyid, bdlx, bdjf, bdsj, ddid) VALUES
    (1, '下单获得', 404, now() - interval '1 day', 1),
    (2, '下单获得', 712, now() - interval '5 days', 4),
    (5, '兑换扣减', -2000, now() - interval '30 days', NULL),
    (3, '下单获得', 117, now() - interval '12 days', 6),
    (6, '过期清零', -300, date_trunc('year', now()), NULL);

CREATE TABLE ck (
    ckid int PRIMARY KEY,
    ckmc varchar(32) NOT NULL,
    cs varchar(16) NOT NULL,
    dz varchar(64)
);
COMMENT ON TABLE ck IS '仓库';
COMMENT ON COLUMN ck.ckmc IS '仓库名称';
COMMENT ON COLUMN ck.cs IS '所在城市';
COMMENT ON COLUMN ck.dz IS '仓库地址';
INSERT INTO ck VALUES
    (1, '杭州中心仓', '杭州', '萧山区建设四路500号'),
    (2, '上海中心仓', '上海', '嘉定区嘉松北路6000号'),
    (3, '宁波前置仓', '宁波', '鄞州区天童南路1号');

CREATE TABLE kc_ck (
    ckid int NOT NULL REFERENCES ck (ckid),
    spid int NOT NULL REFERENCES sp (spid),
    sl int NOT NULL,
    gxsj timestamp NOT NULL DEFAULT now(),
    PRIMARY KEY (ckid, spid)
);
COMMENT ON TABLE kc_ck IS '仓库库存';
COMMENT ON COLUMN kc_ck.sl IS '库存数量';
COMMENT ON COLUMN kc_ck.gxsj IS '更新时间';
INSERT INTO kc_ck (ckid, spid, sl) VALUES
    (1, 1, 120), (1, 2, 300), (1, 3, 80), (1, 6, 60), (1, 5, 2400), (2, 1, 60), (2, 9, 200),
    (2, 10, 500), (2, 12, 40), (3, 7, 260), (3, 4, 150), (3, 8, 30);

CREATE TABLE kc_rb (
    rq date NOT NULL,
    mdid int NOT NULL REFERENCES md_xx (mdid),
    spid int NOT NULL REFERENCES sp (spid),
    qcsl int NOT NULL,
    rksl int NOT NULL DEFAULT 0,
    cksl int NOT NULL DEFAULT 0,
    qmsl int NOT NULL,
    PRIMARY KEY (rq, mdid, spid)
);
COMMENT ON TABLE kc_rb IS '门店库存日报';
COMMENT ON COLUMN kc_rb.rq IS '日期';
COMMENT ON COLUMN kc_rb.mdid IS '门店ID';
COMMENT ON COLUMN kc_rb.spid IS '商品ID';
COMMENT ON COLUMN kc_rb.qcsl IS '期初数量';
COMMENT ON COLUMN kc_rb.rksl IS '入库数量';
COMMENT ON COLUMN kc_rb.cksl IS '出库数量';
COMMENT ON COLUMN kc_rb.qmsl IS '期末库存数量';
INSERT INTO kc_rb (rq, mdid, spid, qcsl, rksl, cksl, qmsl)
SELECT current_date - v.ago, v.mdid, v.spid, v.qcsl, v.rksl, v.cksl, v.qcsl + v.rksl - v.cksl
FROM (VALUES
    (2, 1, 1, 14, 0, 2), (2, 1, 3, 40, 0, 6), (1, 1, 1, 12, 0, 3),
    (1, 1, 2, 25, 10, 4), (1, 1, 3, 34, 0, 8), (1, 1, 5, 150, 0, 30),
    (1, 6, 1, 18, 0, 2), (1, 6, 9, 20, 0, 7), (1, 6, 4, 22, 0, 1),
    (1, 4, 7, 30, 0, 12), (1, 4, 2, 20, 0, 2)
) AS v (ago, mdid, spid, qcsl, rksl, cksl);

CREATE TABLE cg_dd (
    cgid int PRIMARY KEY,
    cgdh varchar(16) NOT NULL UNIQUE,
    gysid int NOT NULL REFERENCES gys (gysid),
    ckid int NOT NULL REFERENCES ck (ckid),
    cgrq date NOT NULL,
    yjdhrq date,
    zje numeric(12, 2),
    zt varchar(8) NOT NULL,
    cgyid int REFERENCES yg (ygid)
);
COMMENT ON TABLE cg_dd IS '采购订单';
COMMENT ON COLUMN cg_dd.cgdh IS '采购单号';
COMMENT ON COLUMN cg_dd.gysid IS '供应商ID，关联 gys.gysid';
COMMENT ON COLUMN cg_dd.ckid IS '收货仓库ID';
COMMENT ON COLUMN cg_dd.cgrq IS '采购日期';
COMMENT ON COLUMN cg_dd.yjdhrq IS '预计到货日期';
COMMENT ON COLUMN cg_dd.zje IS '采购总金额（元）';
COMMENT ON COLUMN cg_dd.zt IS '状态：已下单、已到货、已取消';
COMMENT ON COLUMN cg_dd.cgyid IS '采购员ID';
INSERT INTO cg_dd (cgid, cgdh, gysid, ckid, cgrq, yjdhrq, zt, cgyid) VALUES
    (1, 'CG2025001', 1, 1, '2025-02-20', '2025-03-01', '已到货', 5),
    (2, 'CG2025002', 2, 1, '2025-03-05', '2025-03-10', '已到货', 5),
    (3, 'CG2025003', 7, 2, '2025-06-01', '2025-06-08', '已取消', 5),
    (4, 'CG0004', 4, 3, current_date - 40, current_date - 33, '已到货', 5),
    (5, 'CG0005', 6, 3, current_date - 3, current_date + 2, '已下单', 5),
    (6, 'CG0006', 8, 2, current_date - 1, current_date + 5, '已下单', 5),
    (7, 'CG0007', 1, 1, current_date - 20, current_date - 15, '已到货', 5);

CREATE TABLE cg_mx (
    cgmxid serial PRIMARY KEY,
    cgid int NOT NULL REFERENCES cg_dd (cgid),
    spid int NOT NULL REFERENCES sp (spid),
    quantity int NOT NULL,
    jj numeric(10, 2) NOT NULL
);
COMMENT ON TABLE cg_mx IS '采购明细';
COMMENT ON COLUMN cg_mx.cgid IS '采购订单ID';
COMMENT ON COLUMN cg_mx.spid IS '商品ID';
COMMENT ON COLUMN cg_mx.jj IS '进价（元）';
INSERT INTO cg_mx (cgid, spid, quantity, jj) VALUES
    (1, 1, 100, 220.00), (1, 6, 50, 180.00), (2, 2, 300, 22.00), (3, 10, 200, 12.00),
    (4, 4, 150, 28.00), (5, 8, 40, 45.00), (6, 9, 120, 35.00), (7, 1, 60, 215.00),
    (7, 11, 30, 18.00);
UPDATE cg_dd SET zje = t.zje
FROM (SELECT cgid, sum(quantity * jj) AS zje FROM cg_mx GROUP BY cgid) AS t
WHERE t.cgid = cg_dd.cgid;

CREATE TABLE cg_th (
    cgthid int PRIMARY KEY,
    cgid int NOT NULL REFERENCES cg_dd (cgid),
    spid int NOT NULL REFERENCES sp (spid),
    sl int NOT NULL,
    je numeric(12, 2) NOT NULL,
    thrq date NOT NULL,
    yy varchar(32)
);
COMMENT ON TABLE cg_th IS '采购退货（退回供应商）';
COMMENT ON COLUMN cg_th.sl IS '退回数量';
COMMENT ON COLUMN cg_th.je IS '退回金额（元）';
COMMENT ON COLUMN cg_th.thrq IS '退回日期';
COMMENT ON COLUMN cg_th.yy IS '退回原因';
INSERT INTO cg_th VALUES
    (1, 4, 4, 10, 280.00, current_date - 30, '包装破损'),
    (2, 1, 6, 5, 900.00, '2025-03-05', '品质不符');

CREATE TABLE ps_dd (
    psid int PRIMARY KEY,
    psdh varchar(16) NOT NULL UNIQUE,
    ckid int NOT NULL REFERENCES ck (ckid),
    mdid int NOT NULL REFERENCES md_xx (mdid),
    psrq date NOT NULL,
    zt varchar(8) NOT NULL
);
COMMENT ON TABLE ps_dd IS '配送单（仓库到门店）';
COMMENT ON COLUMN ps_dd.psdh IS '配送单号';
COMMENT ON COLUMN ps_dd.psrq IS '配送日期';
COMMENT ON COLUMN ps_dd.zt IS '状态：配送中、已签收';
INSERT INTO ps_dd VALUES
    (1, 'PS0001', 1, 1, current_date - 1, '已签收'),
    (2, 'PS0002', 1, 2, current_date - 1, '配送中'),
    (3, 'PS0003', 3, 4, current_date - 6, '已签收'),
    (4, 'PS0004', 2, 6, current_date - 2, '已签收');

CREATE TABLE ps_mx (
    psid int NOT NULL REFERENCES ps_dd (psid),
    spid int NOT NULL REFERENCES sp (spid),
    sl int NOT NULL,
    PRIMARY KEY (psid, spid)
);
COMMENT ON TABLE ps_mx IS '配送明细';
COMMENT ON COLUMN ps_mx.sl IS '配送数量';
INSERT INTO ps_mx VALUES
    (1, 2, 10), (2, 1, 6), (2, 6, 4), (3, 7, 20), (3, 4, 10), (4, 1, 8), (4, 9, 12);

CREATE TABLE pd_jl (
    pdid int PRIMARY KEY,
    mdid int NOT NULL REFERENCES md_xx (mdid),
    spid int NOT NULL REFERENCES sp (spid),
    pdrq date NOT NULL,
    zmsl int NOT NULL,
    sjsl int NOT NULL,
    cysl int NOT NULL
);
COMMENT ON TABLE pd_jl IS '盘点记录';
COMMENT ON COLUMN pd_jl.pdrq IS '盘点日期';
COMMENT ON COLUMN pd_jl.zmsl IS '账面数量';
COMMENT ON COLUMN pd_jl.sjsl IS '实盘数量';
COMMENT ON COLUMN pd_jl.cysl IS '差异数量（实盘减账面）';
INSERT INTO pd_jl VALUES
    (1, 1, 1, current_date - 15, 20, 19, -1),
    (2, 1, 3, current_date - 15, 40, 40, 0),
    (3, 4, 7, current_date - 15, 35, 30, -5),
    (4, 6, 9, current_date - 15, 18, 20, 2);

CREATE TABLE sp_jgbd (
    bdid int PRIMARY KEY,
    spid int NOT NULL REFERENCES sp (spid),
    ylsj numeric(10, 2) NOT NULL,
    xlsj numeric(10, 2) NOT NULL,
    tzrq date NOT NULL,
    tzr varchar(16)
);
COMMENT ON TABLE sp_jgbd IS '商品价格变动记录';
COMMENT ON COLUMN sp_jgbd.ylsj IS '原零售价';
COMMENT ON COLUMN sp_jgbd.xlsj IS '新零售价';
COMMENT ON COLUMN sp_jgbd.tzrq IS '调整日期';
COMMENT ON COLUMN sp_jgbd.tzr IS '调整人';
INSERT INTO sp_jgbd VALUES
    (1, 1, 328.00, 348.00, '2024-03-01', '冯雪'),
    (2, 1, 348.00, 368.00, '2025-03-01', '冯雪'),
    (3, 2, 36.90, 39.90, '2025-01-10', '冯雪'),
    (4, 8, 72.00, 68.00, current_date - 20, '冯雪');

CREATE TABLE yhq (
    yhqid int PRIMARY KEY,
    campaign_id int REFERENCES promo_campaign (campaign_id),
    yhqmc varchar(32) NOT NULL,
    mz numeric(8, 2) NOT NULL,
    sytj numeric(8, 2) NOT NULL DEFAULT 0,
    yxqs date NOT NULL,
    yxqz date NOT NULL,
    fxl int NOT NULL
);
COMMENT ON TABLE yhq IS '优惠券';
COMMENT ON COLUMN yhq.yhqmc IS '券名称';
COMMENT ON COLUMN yhq.mz IS '面值（元）';
COMMENT ON COLUMN yhq.sytj IS '满多少元可用';
COMMENT ON COLUMN yhq.yxqs IS '有效期开始';
COMMENT ON COLUMN yhq.yxqz IS '有效期截止';
COMMENT ON COLUMN yhq.fxl IS '发行张数';
INSERT INTO yhq VALUES
    (1, 1, '双十一满200减30', 30, 200, '2024-11-01', '2024-11-11', 1000),
    (2, 4, '会员日满100减10', 10, 100, date_trunc('month', current_date)::date,
     (date_trunc('month', current_date) + interval '1 month - 1 day')::date, 500),
    (3, NULL, '新会员5元券', 5, 0, '2024-01-01', '2027-12-31', 10000);

CREATE TABLE yhq_ly (
    lyid int PRIMARY KEY,
    yhqid int NOT NULL REFERENCES yhq (yhqid),
    hyid int NOT NULL REFERENCES hy (hyid),
    lqsj timestamp NOT NULL,
    sysj timestamp,
    ddid int REFERENCES xs_dd (ddid)
);
COMMENT ON TABLE yhq_ly IS '优惠券领用记录';
COMMENT ON COLUMN yhq_ly.lqsj IS '领取时间';
COMMENT ON COLUMN yhq_ly.sysj IS '使用时间，未使用为空';
COMMENT ON COLUMN yhq_ly.ddid IS '使用该券的订单ID';
INSERT INTO yhq_ly VALUES
    (1, 1, 1, '2024-11-05 09:00', '2024-11-11 20:00', 21),
    (2, 3, 4, now() - interval '40 days', now() - interval '2 days', 2),
    (3, 3, 7, now() - interval '10 days', NULL, NULL),
    (4, 2, 5, date_trunc('month', now()), NULL, NULL),
    (5, 2, 2, date_trunc('month', now()), NULL, NULL);

CREATE TABLE md_kl (
    rq date NOT NULL,
    mdid int NOT NULL REFERENCES md_xx (mdid),
    jdrs int NOT NULL,
    c3 smallint,
    PRIMARY KEY (rq, mdid)
);
COMMENT ON TABLE md_kl IS '门店每日客流';
COMMENT ON COLUMN md_kl.rq IS '日期';
COMMENT ON COLUMN md_kl.jdrs IS '进店人数';
INSERT INTO md_kl (rq, mdid, jdrs, c3)
SELECT d::date, m.mdid, 200 + (m.mdid * 37 + extract(doy FROM d)::int * 11) % 300,
       (m.mdid + extract(doy FROM d)::int) % 2
FROM generate_series(current_date - 34, current_date - 1, interval '1 day') AS d
CROSS JOIN md_xx AS m
WHERE m.zt = '营业中';

CREATE TABLE pj (
    pjid int PRIMARY KEY,
    ddid int NOT NULL REFERENCES xs_dd (ddid),
    spid int NOT NULL REFERENCES sp (spid),
    hyid int NOT NULL REFERENCES hy (hyid),
    pf smallint NOT NULL CHECK (pf BETWEEN 1 AND 5),
    nr text,
    pjsj timestamp NOT NULL
);
COMMENT ON TABLE pj IS '商品评价';
COMMENT ON COLUMN pj.pf IS '评分，1 到 5 分';
COMMENT ON COLUMN pj.nr IS '评价内容';
COMMENT ON COLUMN pj.pjsj IS '评价时间';
INSERT INTO pj VALUES
    (1, 1, 1, 1, 5, '茶香浓郁，回购', now() - interval '1 hour'),
    (2, 5, 8, 5, 2, '带鱼不新鲜', now() - interval '7 days'),
    (3, 6, 7, 3, 4, '汤圆软糯', now() - interval '11 days'),
    (4, 11, 8, 3, 1, '有异味', date_trunc('month', now()) - interval '16 days'),
    (5, 10, 6, 1, 5, '送人很体面', date_trunc('month', now()) - interval '11 days');
"""

GLOSSARY = (
    GlossaryTerm(
        "客单价",
        ("平均订单金额", "平均每单金额"),
        "每笔已完成订单的平均实付金额",
        "sum(xs_dd.ddje) FILTER (WHERE xs_dd.zt = '已完成')"
        " / nullif(count(xs_dd.ddid) FILTER (WHERE xs_dd.zt = '已完成'), 0)",
        ("xs_dd",),
    ),
    GlossaryTerm(
        "活跃会员",
        ("活跃顾客", "活跃用户"),
        "近90天内下过单的会员",
        "count(DISTINCT xs_dd.hyid) FILTER (WHERE xs_dd.xdsj >= current_date - 90)",
        ("xs_dd",),
    ),
    GlossaryTerm(
        "动销率",
        ("动销比例",),
        "一段时间内有销售的商品数占在售商品数的比例",
        "count(DISTINCT xs_ddmx.spid)::numeric"
        " / nullif(count(DISTINCT sp.spid) FILTER (WHERE sp.zt = '在售'), 0)",
        ("xs_ddmx", "sp"),
    ),
    GlossaryTerm(
        "毛利",
        ("毛利润", "毛利额"),
        "销售明细金额减去成本（数量乘进货价）",
        "sum(xs_ddmx.amt) - sum(xs_ddmx.qty * sp.jhj)",
        ("xs_ddmx", "sp"),
    ),
    GlossaryTerm(
        "连带率",
        ("每单件数", "平均每单件数"),
        "平均每笔订单售出的商品件数",
        "sum(xs_ddmx.qty)::numeric / nullif(count(DISTINCT xs_ddmx.ddid), 0)",
        ("xs_ddmx",),
    ),
    GlossaryTerm(
        "退货率",
        ("退单率",),
        "有退货申请的订单数占订单数的比例",
        "count(DISTINCT th_sq.ddid)::numeric / nullif(count(DISTINCT xs_dd.ddid), 0)",
        ("th_sq", "xs_dd"),
    ),
)

QUESTIONS = (
    ask("杭州有哪些门店", "value", "SELECT mdmc, dz FROM md_xx WHERE cs = '杭州'"),
    ask(
        "上海的店铺有几家",
        "synonym value",
        "SELECT count(*) FROM md_xx WHERE cs = '上海'",
    ),
    ask("龙井茶的零售价和进货价", "value", "SELECT lsj, jhj FROM sp WHERE spmc = '龙井茶'"),
    ask(
        "单价最高的5个产品",
        "synonym",
        "SELECT spmc, lsj FROM sp ORDER BY lsj DESC LIMIT 5",
    ),
    ask(
        "每个品类有多少个商品",
        "join",
        "SELECT pl.plmc, count(sp.spid) FROM sp_pl pl LEFT JOIN sp ON sp.plid = pl.plid"
        " GROUP BY pl.plmc ORDER BY 2 DESC",
    ),
    ask(
        "茶叶分类下的货品有哪些",
        "synonym value join",
        "SELECT sp.spmc, sp.lsj FROM sp JOIN sp_pl pl ON pl.plid = sp.plid WHERE pl.plmc = '茶叶'",
    ),
    ask(
        "金卡会员有哪些，列出姓名和手机号",
        "value join",
        "SELECT h.xm, h.sjh FROM hy h JOIN hy_dj d ON d.djid = h.djid WHERE d.djmc = '金卡'",
    ),
    ask(
        "宁波的顾客有多少",
        "synonym value",
        "SELECT count(*) FROM hy WHERE cs = '宁波'",
    ),
    ask(
        "上个月各门店的营业额",
        "synonym date join",
        "SELECT m.mdmc, sum(d.ddje) AS yye FROM xs_dd d JOIN md_xx m ON m.mdid = d.mdid"
        " WHERE d.zt = '已完成' AND d.xdsj >= date_trunc('month', current_date) - interval"
        " '1 month' AND d.xdsj < date_trunc('month', current_date)"
        " GROUP BY m.mdmc ORDER BY yye DESC",
    ),
    ask(
        "近7天的订单数和销售额",
        "synonym date",
        "SELECT count(*), sum(ddje) FROM xs_dd WHERE zt = '已完成' AND xdsj >= current_date - 7",
    ),
    ask(
        "客单价最高的门店是哪家",
        "glossary join",
        "SELECT m.mdmc, sum(d.ddje) / count(d.ddid) AS kdj FROM xs_dd d"
        " JOIN md_xx m ON m.mdid = d.mdid WHERE d.zt = '已完成'"
        " GROUP BY m.mdmc ORDER BY kdj DESC LIMIT 1",
    ),
    ask(
        "本月的客单价是多少",
        "glossary date",
        "SELECT sum(ddje) / nullif(count(ddid), 0) FROM xs_dd"
        " WHERE zt = '已完成' AND xdsj >= date_trunc('month', current_date)",
    ),
    ask(
        "现在有多少活跃会员",
        "glossary",
        "SELECT count(DISTINCT hyid) FROM xs_dd WHERE xdsj >= current_date - 90",
    ),
    ask(
        "列出杭州的活跃会员",
        "glossary value join",
        "SELECT DISTINCT h.xm FROM hy h JOIN xs_dd d ON d.hyid = h.hyid"
        " WHERE h.cs = '杭州' AND d.xdsj >= current_date - 90",
    ),
    ask(
        "上个月的动销率",
        "glossary date join",
        "SELECT count(DISTINCT mx.spid)::numeric"
        " / (SELECT count(*) FROM sp WHERE sp.zt = '在售')"
        " FROM xs_ddmx mx JOIN xs_dd d ON d.ddid = mx.ddid"
        " WHERE d.xdsj >= date_trunc('month', current_date) - interval '1 month'"
        " AND d.xdsj < date_trunc('month', current_date)",
    ),
    ask(
        "各品类的毛利",
        "glossary join",
        "SELECT pl.plmc, sum(mx.amt) - sum(mx.qty * sp.jhj) AS ml FROM xs_ddmx mx"
        " JOIN sp ON sp.spid = mx.spid JOIN sp_pl pl ON pl.plid = sp.plid"
        " GROUP BY pl.plmc ORDER BY ml DESC",
    ),
    ask(
        "西湖藕粉一共赚了多少毛利润",
        "glossary value join",
        "SELECT sum(mx.amt) - sum(mx.qty * sp.jhj) FROM xs_ddmx mx"
        " JOIN sp ON sp.spid = mx.spid WHERE sp.spmc = '西湖藕粉'",
    ),
    ask(
        "整体的连带率是多少",
        "glossary",
        "SELECT sum(qty)::numeric / count(DISTINCT ddid) FROM xs_ddmx",
    ),
    ask(
        "各门店的退货率",
        "glossary join",
        "SELECT m.mdmc, count(DISTINCT t.ddid)::numeric / count(DISTINCT d.ddid) AS thl"
        " FROM xs_dd d JOIN md_xx m ON m.mdid = d.mdid LEFT JOIN th_sq t ON t.ddid = d.ddid"
        " GROUP BY m.mdmc ORDER BY thl DESC",
    ),
    ask(
        "龙井茶卖出的件数",
        "synonym value join",
        "SELECT sum(mx.qty) FROM xs_ddmx mx JOIN sp ON sp.spid = mx.spid"
        " JOIN xs_dd d ON d.ddid = mx.ddid WHERE sp.spmc = '龙井茶' AND d.zt = '已完成'",
    ),
    ask(
        "张伟最近一次下单是什么时候",
        "synonym value join",
        "SELECT max(d.xdsj) FROM xs_dd d JOIN hy h ON h.hyid = d.hyid WHERE h.xm = '张伟'",
    ),
    ask(
        "陈静在哪些门店买过东西",
        "value join",
        "SELECT DISTINCT m.mdmc FROM xs_dd d JOIN hy h ON h.hyid = d.hyid"
        " JOIN md_xx m ON m.mdid = d.mdid WHERE h.xm = '陈静'",
    ),
    ask(
        "消费最多的10位买家",
        "synonym join",
        "SELECT h.xm, sum(d.ddje) AS xf FROM xs_dd d JOIN hy h ON h.hyid = d.hyid"
        " WHERE d.zt = '已完成' GROUP BY h.hyid, h.xm ORDER BY xf DESC LIMIT 10",
    ),
    ask(
        "去年每个月的营收",
        "synonym date",
        "SELECT date_trunc('month', xdsj) AS yf, sum(ddje) FROM xs_dd WHERE zt = '已完成'"
        " AND xdsj >= date_trunc('year', current_date) - interval '1 year'"
        " AND xdsj < date_trunc('year', current_date) GROUP BY yf ORDER BY yf",
    ),
    ask(
        "2025年3月徐家汇店的订单",
        "date value join",
        "SELECT d.ddbh, d.xdsj, d.ddje FROM xs_dd d JOIN md_xx m ON m.mdid = d.mdid"
        " WHERE m.mdmc = '徐家汇店' AND d.xdsj >= '2025-03-01' AND d.xdsj < '2025-04-01'",
    ),
    ask(
        "2025年3月每个城市的订单金额",
        "date join",
        "SELECT m.cs, sum(d.ddje) FROM xs_dd d JOIN md_xx m ON m.mdid = d.mdid"
        " WHERE d.zt = '已完成' AND d.xdsj >= '2025-03-01' AND d.xdsj < '2025-04-01'"
        " GROUP BY m.cs",
    ),
    ask(
        "本季度每个下单渠道的订单数",
        "date",
        "SELECT qd, count(*) FROM xs_dd WHERE xdsj >= date_trunc('quarter', current_date)"
        " GROUP BY qd",
    ),
    ask(
        "用微信支付的订单占多少比例",
        "value",
        "SELECT avg((zffs = '微信')::int) FROM xs_dd",
    ),
    ask(
        "昨天哪些门店的商品库存低于安全库存",
        "date join",
        "SELECT m.mdmc, sp.spmc, k.qmsl, sp.aqkc FROM kc_rb k JOIN sp ON sp.spid = k.spid"
        " JOIN md_xx m ON m.mdid = k.mdid WHERE k.rq = current_date - 1 AND k.qmsl < sp.aqkc",
    ),
    ask(
        "湖滨银泰店昨天的存货",
        "synonym value date join",
        "SELECT sp.spmc, k.qmsl FROM kc_rb k JOIN md_xx m ON m.mdid = k.mdid"
        " JOIN sp ON sp.spid = k.spid WHERE m.mdmc = '湖滨银泰店' AND k.rq = current_date - 1",
    ),
    ask(
        "杭州中心仓的龙井茶还有多少库存",
        "value join",
        "SELECT k.sl FROM kc_ck k JOIN ck ON ck.ckid = k.ckid JOIN sp ON sp.spid = k.spid"
        " WHERE ck.ckmc = '杭州中心仓' AND sp.spmc = '龙井茶'",
    ),
    ask(
        "向每个厂商采购的金额",
        "synonym join",
        "SELECT g.gysmc, sum(c.zje) FROM cg_dd c JOIN gys g ON g.gysid = c.gysid"
        " WHERE c.zt <> '已取消' GROUP BY g.gysmc ORDER BY 2 DESC",
    ),
    ask(
        "从杭州狮峰茶业有限公司采购的商品和采购数量",
        "value join",
        "SELECT sp.spmc, sum(mx.quantity) FROM cg_mx mx JOIN cg_dd c ON c.cgid = mx.cgid"
        " JOIN gys g ON g.gysid = c.gysid JOIN sp ON sp.spid = mx.spid"
        " WHERE g.gysmc = '杭州狮峰茶业有限公司' GROUP BY sp.spmc",
    ),
    ask(
        "还没到货的采购单",
        "plain",
        "SELECT cgdh, cgrq, yjdhrq FROM cg_dd WHERE zt = '已下单'",
    ),
    ask(
        "因为质量问题退款的订单",
        "synonym value join",
        "SELECT d.ddbh, t.thje, t.sqsj FROM th_sq t JOIN xs_dd d ON d.ddid = t.ddid"
        " WHERE t.thyy = '质量问题'",
    ),
    ask(
        "上个月退货金额合计",
        "date",
        "SELECT sum(thje) FROM th_sq WHERE sqsj >= date_trunc('month', current_date)"
        " - interval '1 month' AND sqsj < date_trunc('month', current_date)",
    ),
    ask(
        "正在进行的促销活动",
        "date",
        "SELECT campaign_name, start_date, end_date FROM promo_campaign"
        " WHERE current_date BETWEEN start_date AND end_date",
    ),
    ask(
        "春茶上新季有哪些优惠商品，活动价多少",
        "synonym value join",
        "SELECT sp.spmc, ps.promo_price FROM promo_sp ps"
        " JOIN promo_campaign c ON c.campaign_id = ps.campaign_id JOIN sp ON sp.spid = ps.spid"
        " WHERE c.campaign_name = '春茶上新季'",
    ),
    ask(
        "双十一狂欢节期间各门店的订单金额",
        "value join",
        "SELECT m.mdmc, sum(d.ddje) FROM xs_dd d JOIN md_xx m ON m.mdid = d.mdid"
        " JOIN promo_campaign c ON d.xdsj::date BETWEEN c.start_date AND c.end_date"
        " WHERE c.campaign_name = '双十一狂欢节' AND d.zt = '已完成' GROUP BY m.mdmc",
    ),
    ask(
        "明天谁上早班",
        "date value join",
        "SELECT y.xm, m.mdmc, s.start_time FROM store_shift s"
        " JOIN yg y ON y.ygid = s.employee_id JOIN md_xx m ON m.mdid = s.store_id"
        " WHERE s.shift_date = current_date + 1 AND s.shift_type = '早班'",
    ),
    ask(
        "湖滨银泰店有哪些职工",
        "synonym value join",
        "SELECT y.xm, y.gw FROM yg y JOIN md_xx m ON m.mdid = y.mdid"
        " WHERE m.mdmc = '湖滨银泰店' AND y.zt = '在职'",
    ),
    ask(
        "每个店长管理哪家门店",
        "value join",
        "SELECT y.xm, m.mdmc FROM yg y JOIN md_xx m ON m.mdid = y.mdid WHERE y.gw = '店长'",
    ),
    ask(
        "各门店近30天的日均进店人数",
        "date join",
        "SELECT m.mdmc, avg(k.jdrs) FROM md_kl k JOIN md_xx m ON m.mdid = k.mdid"
        " WHERE k.rq >= current_date - 30 GROUP BY m.mdmc",
    ),
    ask(
        "评分低于3分的商品评价",
        "join",
        "SELECT sp.spmc, p.pf, p.nr FROM pj p JOIN sp ON sp.spid = p.spid WHERE p.pf < 3",
    ),
    ask("各会员等级的折扣率", "plain", "SELECT djmc, zkl FROM hy_dj ORDER BY zkl"),
    ask(
        "张伟的收货住址",
        "synonym value join",
        "SELECT a.shr, a.cs, a.xxdz FROM hy_dz a JOIN hy h ON h.hyid = a.hyid WHERE h.xm = '张伟'",
    ),
    ask("进口的商品有哪些", "plain", "SELECT spmc, cd FROM sp WHERE sfjk"),
    ask(
        "Which stores opened before 2018?",
        "date",
        "SELECT mdmc, kyrq FROM md_xx WHERE kyrq < '2018-01-01'",
    ),
    ask(
        "Top 3 goods by units sold last month",
        "date join",
        "SELECT sp.spmc, sum(mx.qty) AS units FROM xs_ddmx mx JOIN sp ON sp.spid = mx.spid"
        " JOIN xs_dd d ON d.ddid = mx.ddid WHERE d.zt = '已完成'"
        " AND d.xdsj >= date_trunc('month', current_date) - interval '1 month'"
        " AND d.xdsj < date_trunc('month', current_date)"
        " GROUP BY sp.spmc ORDER BY units DESC LIMIT 3",
    ),
    ask(
        "哪些会员从来没有下过单",
        "join",
        "SELECT h.xm FROM hy h WHERE NOT EXISTS (SELECT 1 FROM xs_dd d WHERE d.hyid = h.hyid)",
    ),
)

SCHEMA = QualitySchema("retail", DDL, GLOSSARY, QUESTIONS)

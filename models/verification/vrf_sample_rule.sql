-- 職員の検証用：検証する世帯の選び方（1 行）。種（var verify_seed）、抽出する世帯数（var verify_sample、
-- なければ環境変数 NHI_VERIFY_SAMPLE、既定 100）、例外の種類ごとの世帯数（var verify_exception_sample、
-- なければ NHI_VERIFY_EXCEPTION_SAMPLE、既定 20）。build のときに決まる。vrf_households_to_verify が使い、
-- ブックの「概要」が文で示す。The sampling rule, stated once: the seed and the two bounds.
select
    '{{ var("verify_seed", "nhi-verify-1") }}'::text as seed,
    {{ var('verify_sample', env_var('NHI_VERIFY_SAMPLE', '100')) | int }}::integer as sample_size,
    {{ var('verify_exception_sample', env_var('NHI_VERIFY_EXCEPTION_SAMPLE', '20')) | int }}::integer
        as exception_sample_size

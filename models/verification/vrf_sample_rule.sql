-- 職員の検証用：検証する世帯の選び方（1 行）。種（var verify_seed）、抽出する世帯数（var verify_sample）、
-- 例外の種類ごとの世帯数（var verify_exception_sample）。vrf_households_to_verify が使い、ブックの「概要」が文で示す。
-- The sampling rule, stated once: the seed and the two bounds.
select
    '{{ var("verify_seed", "nhi-verify-1") }}'::text as seed,
    {{ var('verify_sample', 100) }}::integer as sample_size,
    {{ var('verify_exception_sample', 20) }}::integer as exception_sample_size

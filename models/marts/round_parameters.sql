-- 抽出回次のパラメータ（setup-layouts.md §1）。この build が何の回次のものかを 1 行で示す。
-- The validation gate compares KT010 with expected_households from here, and the
-- exporter writes round and 基準日 from here: both rest on this very build.
select
    '{{ var("round") }}'::text as round_id,
    {{ as_of_date() }}::date as as_of,
    {{ var('expected_households') }}::integer as expected_households,
    {{ is_production_round() }}::boolean as is_production,
    '{{ invocation_id }}'::text as dbt_invocation_id

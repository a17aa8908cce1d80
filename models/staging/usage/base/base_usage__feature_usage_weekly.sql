{{
    config(
        materialized=pp_staging_materialization(),
        incremental_strategy='delete+insert',
        unique_key='_ingest_seq',
        on_schema_change='fail',
        meta={'rebuild_on_project_change': true},
        post_hook="{{ pp_delete_rows_no_longer_landed(source('usage', 'feature_usage_weekly')) }}",
    )
}}

{{
    landing_validation(
        'usage', 'feature_usage_weekly',
        incremental=true,
        foreign_keys=[
            {'column': 'account_id', 'to': ref('stg_crm__accounts'), 'to_column': 'account_id'},
            {'column': 'feature_id', 'to': ref('stg_usage__features'), 'to_column': 'feature_id'},
        ],
        row_checks=[
            {
                'code': 'out_of_range',
                'when': pp_iso_weekday('week_start') ~ ' <> 1',
                'reason': "'out of range: week_start=' || cast(week_start as " ~ pp_type_text() ~ ") || ' is not a Monday'",
            },
        ],
    )
}}

{{
    config(
        materialized=pp_staging_materialization(),
        incremental_strategy='delete+insert',
        unique_key='_ingest_seq',
        on_schema_change='fail',
        meta={'rebuild_on_project_change': true},
        post_hook="{{ pp_delete_rows_no_longer_landed(source('usage', 'usage_daily')) }}",
    )
}}

{{
    landing_validation(
        'usage', 'usage_daily',
        incremental=true,
        foreign_keys=[
            {'column': 'account_id', 'to': ref('stg_crm__accounts'), 'to_column': 'account_id'},
            {'column': 'product_id', 'to': ref('stg_billing__products'), 'to_column': 'product_id'},
        ],
    )
}}

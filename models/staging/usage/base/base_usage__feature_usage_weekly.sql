{{
    landing_validation(
        'usage', 'feature_usage_weekly',
        foreign_keys=[
            {'column': 'account_id', 'to': ref('stg_crm__accounts'), 'to_column': 'account_id'},
            {'column': 'feature_id', 'to': ref('stg_usage__features'), 'to_column': 'feature_id'},
        ],
        row_checks=[
            {
                'code': 'out_of_range',
                'when': "extract(isodow from week_start) <> 1",
                'reason': "'out of range: week_start=' || cast(week_start as varchar) || ' is not a Monday'",
            },
        ],
    )
}}

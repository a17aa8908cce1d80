{{
    landing_validation(
        'billing', 'subscriptions',
        foreign_keys=[
            {'column': 'account_id', 'to': ref('stg_crm__accounts'), 'to_column': 'account_id'},
        ],
        self_foreign_keys=[
            {'column': 'renewed_from_subscription_id', 'to_column': 'subscription_id'},
        ],
        row_checks=[
            {
                'code': 'end_before_start',
                'when': "end_date < start_date",
                'reason': "'end before start: end_date=' || cast(end_date as " ~ pp_type_text() ~ ") || ' is before start_date=' || cast(start_date as " ~ pp_type_text() ~ ")",
            },
        ],
    )
}}

{{
    landing_validation(
        'crm', 'opportunities',
        foreign_keys=[
            {'column': 'account_id', 'to': ref('stg_crm__accounts'), 'to_column': 'account_id'},
            {'column': 'partner_id', 'to': ref('stg_crm__partners'), 'to_column': 'partner_id'},
            {'column': 'product_id', 'to': ref('stg_billing__products'), 'to_column': 'product_id'},
            {'column': 'renewal_subscription_id', 'to': ref('stg_billing__subscriptions'), 'to_column': 'subscription_id'},
        ],
        row_checks=[
            {
                'code': 'missing_required_value',
                'when': "stage in ('Closed Won', 'Closed Lost') and close_date is null",
                'reason': "'missing required value: close_date is empty for a closed opportunity (stage ' || stage || ')'",
            },
            {
                'code': 'missing_required_value',
                'when': "partner_id is not null and partner_role is null",
                'reason': "'missing required value: partner_role is empty although partner_id is set'",
            },
            {
                'code': 'end_before_start',
                'when': "close_date < created_date",
                'reason': "'end before start: close_date=' || cast(close_date as " ~ pp_type_text() ~ ") || ' is before created_date=' || cast(created_date as " ~ pp_type_text() ~ ")",
            },
        ],
    )
}}

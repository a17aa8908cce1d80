{{
    landing_validation(
        'billing', 'subscription_items',
        foreign_keys=[
            {'column': 'subscription_id', 'to': ref('stg_billing__subscriptions'), 'to_column': 'subscription_id'},
            {'column': 'product_id', 'to': ref('stg_billing__products'), 'to_column': 'product_id'},
        ],
        row_checks=[
            {
                'code': 'end_before_start',
                'when': "effective_to <= effective_from",
                'reason': "'end before start: effective_to=' || cast(effective_to as " ~ pp_type_text() ~ ") || ' is not after effective_from=' || cast(effective_from as " ~ pp_type_text() ~ ")",
            },
        ],
    )
}}

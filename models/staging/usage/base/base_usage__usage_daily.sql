{{
    landing_validation(
        'usage', 'usage_daily',
        foreign_keys=[
            {'column': 'account_id', 'to': ref('stg_crm__accounts'), 'to_column': 'account_id'},
            {'column': 'product_id', 'to': ref('stg_billing__products'), 'to_column': 'product_id'},
        ],
    )
}}

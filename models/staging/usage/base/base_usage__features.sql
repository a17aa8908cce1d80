{{
    landing_validation(
        'usage', 'features',
        foreign_keys=[
            {'column': 'product_id', 'to': ref('stg_billing__products'), 'to_column': 'product_id'},
        ],
    )
}}

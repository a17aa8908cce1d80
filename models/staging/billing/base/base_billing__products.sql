{{
    landing_validation(
        'billing', 'products',
    )
}}

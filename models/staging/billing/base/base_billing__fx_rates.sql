{{
    landing_validation(
        'billing', 'fx_rates',
    )
}}

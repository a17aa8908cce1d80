{{
    landing_validation(
        'crm', 'partners',
    )
}}

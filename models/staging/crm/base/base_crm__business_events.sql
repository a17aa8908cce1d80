{{
    landing_validation(
        'crm', 'business_events',
        foreign_keys=[
            {'column': 'account_id', 'to': ref('stg_crm__accounts'), 'to_column': 'account_id'},
        ],
    )
}}

{{
    landing_validation(
        'crm', 'firmographics',
        foreign_keys=[
            {'column': 'account_id', 'to': ref('stg_crm__accounts'), 'to_column': 'account_id'},
        ],
    )
}}

{{
    landing_validation(
        'crm', 'activities',
        foreign_keys=[
            {'column': 'account_id', 'to': ref('stg_crm__accounts'), 'to_column': 'account_id'},
            {'column': 'partner_id', 'to': ref('stg_crm__partners'), 'to_column': 'partner_id'},
            {'column': 'contact_id', 'to': ref('stg_crm__contacts'), 'to_column': 'contact_id'},
        ],
    )
}}

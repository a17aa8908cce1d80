{{
    landing_validation(
        'crm', 'accounts',
        foreign_keys=[
            {'column': 'partner_id', 'to': ref('stg_crm__partners'), 'to_column': 'partner_id'},
        ],
    )
}}

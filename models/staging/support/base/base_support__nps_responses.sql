{{
    landing_validation(
        'support', 'nps_responses',
        foreign_keys=[
            {'column': 'account_id', 'to': ref('stg_crm__accounts'), 'to_column': 'account_id'},
            {'column': 'contact_id', 'to': ref('stg_crm__contacts'), 'to_column': 'contact_id'},
        ],
    )
}}

{{
    landing_validation(
        'crm', 'contacts',
        foreign_keys=[
            {'column': 'account_id', 'to': ref('stg_crm__accounts'), 'to_column': 'account_id'},
        ],
    )
}}

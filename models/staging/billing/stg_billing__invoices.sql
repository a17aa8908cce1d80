with

base as (

    select * from {{ ref('base_billing__invoices') }}

),

staged as (

    select
        invoice_id,
        subscription_id,
        account_id,
        invoice_date,
        due_date,
        amount,
        currency,
        paid_date,
        status
    from base
    where _reject_code is null

)

select * from staged

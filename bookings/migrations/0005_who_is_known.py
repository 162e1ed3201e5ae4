# Who is known (SPEC §6) and slot hoarding: where a hold came from, and notices that may repeat.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('bookings', '0004_office_cancellation'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='outgoingmail',
            name='one_mail_per_kind',
        ),
        migrations.AddField(
            model_name='booking',
            name='origin',
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=32),
        ),
        migrations.AlterField(
            model_name='outgoingmail',
            name='kind',
            field=models.CharField(choices=[('confirm_request', '予約確認のお願い'), ('completion', '予約完了'), ('cancellation', 'キャンセルのお知らせ'), ('expiry', '期限切れのお知らせ'), ('reminder', '前日のお知らせ'), ('office_cancellation', '窓口の都合による取り消し'), ('already_booked', '予約済みのお知らせ'), ('not_available', 'オンライン予約をご利用いただけないお知らせ')], max_length=20),
        ),
        migrations.AddConstraint(
            model_name='outgoingmail',
            constraint=models.UniqueConstraint(condition=models.Q(('kind__in', ['already_booked', 'not_available']), _negated=True), fields=('booking', 'kind'), name='one_mail_per_kind'),
        ),
    ]

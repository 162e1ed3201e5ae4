"""Office.revision: a random value the database changes on every write to the office's slot
rules, closures or terms versions. The triggers that change it are made after every `migrate`
(offices/triggers.py, offices/apps.py), so that later migrations may remake these tables."""

from django.db import migrations, models

import offices.models


class Migration(migrations.Migration):
    dependencies = [
        ("offices", "0004_office_validators"),
    ]

    operations = [
        migrations.AddField(
            model_name="office",
            name="revision",
            field=models.BigIntegerField(default=offices.models.new_revision, editable=False),
        ),
    ]

"""Wide text arrives whole on both runtimes: the client sends UTF-8 (refiner_web.wire).

Pyodide's `json.dumps` escaped each emoji as 12 bytes (`\\ud83d\\ude00`): an identify of
2 x 100 traits of 255 emoji outgrew the ping limit (413) and every trait was lost.
"""

import uuid
from pathlib import Path

from tests.e2e.conftest import HostPage
from tests.e2e.test_client import wait_for_rows

WIDE_IDENTIFY = """([user, account]) => {
  const wide = '\\u{1F600}', traits = {};
  for (let i = 0; i < 100; i++) {
    traits[String(i).padStart(3, '0') + wide.repeat(252)] = wide.repeat(255);
  }
  _refiner('identifyUser', {...traits, id: user, account: {...traits, id: account}});
}"""


def test_a_wide_trait_identify_arrives_whole(host: HostPage, db_path: Path) -> None:
    user, account = "wide-%s" % uuid.uuid4().hex[:8], "acct-%s" % uuid.uuid4().hex[:8]
    host.open()
    host.wait_ready()
    host.page.evaluate(WIDE_IDENTIFY, [user, account])
    rows = wait_for_rows(
        db_path,
        "SELECT t.key, t.value_text FROM traits t LEFT JOIN contacts c ON c.pk = t.contact_pk "
        "LEFT JOIN accounts a ON a.pk = t.account_pk WHERE c.user_id = ? OR a.account_id = ?",
        user,
        account,
        count=200,
    )
    assert len(rows) == 200
    assert all(len(key) == 255 and value == "\U0001f600" * 255 for key, value in rows)

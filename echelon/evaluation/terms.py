"""The built-in templates' evaluation items and scale, marked for translation: the public ballot and the
published result show them in the reader's language (Mongolian on the public pages). A template's own
words that the catalogue does not know are shown as written."""

from django.utils.translation import gettext_noop

TERMS = (
    gettext_noop("活动整体情况"),
    gettext_noop("解决“四风”突出问题情况"),
    gettext_noop("满意"),
    gettext_noop("基本满意"),
    gettext_noop("不满意"),
)

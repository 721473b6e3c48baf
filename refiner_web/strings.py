"""The interface's own texts in every language we ship, and matching a person's locale to
the languages a survey or this module offers (and its text direction).

Pure Python: the widget asks `refiner_web.survey.SurveyRun.text`, which reads here.
"""

RTL_LANGUAGES = ("ar", "he", "iw", "fa", "ur")

# Interface texts per language, read by key only (so dict order, which MicroPython does not
# keep, never matters). English is the fallback for any missing language or key.
STRINGS = {
    "en": {
        "next": "Next",
        "back": "Back",
        "submit": "Submit",
        "close": "Close",
        "skip": "Skip",
        "dismiss": "Close survey",
        "survey": "Survey",
        "position": "Question %d of %d",
        "scale_item": "%d of %d",
        "star_item": "%d of %d stars",
        "chars_left": "%d characters left",
        "required": "This question is required.",
        "required_mark": "Required",
        "invalid": "Please choose one of the options.",
        "email_invalid": "Please enter a valid email address.",
        "too_long": "Please use at most %d characters.",
        "at_least": "Please choose at least %d.",
        "at_most": "Please choose at most %d.",
        "other": "Other",
        "other_placeholder": "Please specify",
        "other_missing": "Please describe your other answer.",
        "new_tab": "(opens in a new tab)",
        "nps_low": "Not likely",
        "nps_high": "Very likely",
        "thank_you": "Thank you!",
        "csat": ["Very unsatisfied", "Unsatisfied", "Neutral", "Satisfied", "Very satisfied"],
        "emoji": ["Terrible", "Bad", "Okay", "Good", "Great"],
    },
    "de": {
        "next": "Weiter",
        "back": "Zurück",
        "submit": "Absenden",
        "close": "Schließen",
        "skip": "Überspringen",
        "dismiss": "Umfrage schließen",
        "survey": "Umfrage",
        "position": "Frage %d von %d",
        "scale_item": "%d von %d",
        "star_item": "%d von %d Sternen",
        "chars_left": "Noch %d Zeichen",
        "required": "Diese Frage ist erforderlich.",
        "required_mark": "Pflichtfrage",
        "invalid": "Bitte wählen Sie eine der Optionen.",
        "email_invalid": "Bitte geben Sie eine gültige E-Mail-Adresse ein.",
        "too_long": "Bitte höchstens %d Zeichen.",
        "at_least": "Bitte wählen Sie mindestens %d.",
        "at_most": "Bitte wählen Sie höchstens %d.",
        "other": "Sonstiges",
        "other_placeholder": "Bitte angeben",
        "other_missing": "Bitte beschreiben Sie Ihre andere Antwort.",
        "new_tab": "(öffnet in neuem Tab)",
        "nps_low": "Unwahrscheinlich",
        "nps_high": "Sehr wahrscheinlich",
        "thank_you": "Vielen Dank!",
        "csat": ["Sehr unzufrieden", "Unzufrieden", "Neutral", "Zufrieden", "Sehr zufrieden"],
        "emoji": ["Schrecklich", "Schlecht", "Okay", "Gut", "Großartig"],
    },
    "fr": {
        "next": "Suivant",
        "back": "Retour",
        "submit": "Envoyer",
        "close": "Fermer",
        "skip": "Passer",
        "dismiss": "Fermer le sondage",
        "survey": "Sondage",
        "position": "Question %d sur %d",
        "scale_item": "%d sur %d",
        "star_item": "%d étoiles sur %d",
        "chars_left": "%d caractères restants",
        "required": "Cette question est obligatoire.",
        "required_mark": "Obligatoire",
        "invalid": "Veuillez choisir une des options.",
        "email_invalid": "Veuillez saisir une adresse e-mail valide.",
        "too_long": "%d caractères au maximum, s'il vous plaît.",
        "at_least": "Veuillez en choisir au moins %d.",
        "at_most": "Veuillez en choisir au plus %d.",
        "other": "Autre",
        "other_placeholder": "Précisez",
        "other_missing": "Veuillez décrire votre autre réponse.",
        "new_tab": "(s'ouvre dans un nouvel onglet)",
        "nps_low": "Peu probable",
        "nps_high": "Très probable",
        "thank_you": "Merci !",
        "csat": ["Très insatisfait", "Insatisfait", "Neutre", "Satisfait", "Très satisfait"],
        "emoji": ["Horrible", "Mauvais", "Correct", "Bien", "Excellent"],
    },
    "es": {
        "next": "Siguiente",
        "back": "Atrás",
        "submit": "Enviar",
        "close": "Cerrar",
        "skip": "Omitir",
        "dismiss": "Cerrar encuesta",
        "survey": "Encuesta",
        "position": "Pregunta %d de %d",
        "scale_item": "%d de %d",
        "star_item": "%d de %d estrellas",
        "chars_left": "Quedan %d caracteres",
        "required": "Esta pregunta es obligatoria.",
        "required_mark": "Obligatoria",
        "invalid": "Elija una de las opciones.",
        "email_invalid": "Introduzca una dirección de correo válida.",
        "too_long": "Use como máximo %d caracteres.",
        "at_least": "Elija al menos %d.",
        "at_most": "Elija como máximo %d.",
        "other": "Otro",
        "other_placeholder": "Especifique",
        "other_missing": "Describa su otra respuesta.",
        "new_tab": "(se abre en una pestaña nueva)",
        "nps_low": "Poco probable",
        "nps_high": "Muy probable",
        "thank_you": "¡Gracias!",
        "csat": ["Muy insatisfecho", "Insatisfecho", "Neutral", "Satisfecho", "Muy satisfecho"],
        "emoji": ["Terrible", "Malo", "Regular", "Bueno", "Excelente"],
    },
    "ar": {
        "next": "التالي",
        "back": "رجوع",
        "submit": "إرسال",
        "close": "إغلاق",
        "skip": "تخطي",
        "dismiss": "إغلاق الاستبيان",
        "survey": "استبيان",
        "position": "السؤال %d من %d",
        "scale_item": "%d من %d",
        "star_item": "%d من %d نجوم",
        "chars_left": "متبقي %d حرف",
        "required": "هذا السؤال مطلوب.",
        "required_mark": "مطلوب",
        "invalid": "يرجى اختيار أحد الخيارات.",
        "email_invalid": "يرجى إدخال بريد إلكتروني صالح.",
        "too_long": "يرجى استخدام %d حرفًا كحد أقصى.",
        "at_least": "يرجى اختيار %d على الأقل.",
        "at_most": "يرجى اختيار %d على الأكثر.",
        "other": "أخرى",
        "other_placeholder": "يرجى التحديد",
        "other_missing": "يرجى وصف إجابتك الأخرى.",
        "new_tab": "(يفتح في علامة تبويب جديدة)",
        "nps_low": "غير محتمل",
        "nps_high": "محتمل جدًا",
        "thank_you": "شكرًا لك!",
        "csat": ["غير راضٍ جدًا", "غير راضٍ", "محايد", "راضٍ", "راضٍ جدًا"],
        "emoji": ["سيئ جدًا", "سيئ", "مقبول", "جيد", "رائع"],
    },
}


def _norm_locale(code: object) -> str:
    return code.replace("_", "-").lower() if isinstance(code, str) else ""


def match_locale(locale: object, available: list) -> object:
    """The key of `available` for `locale`: exact match, then the bare language (`pt-BR` →
    `pt`), then any region of that language; None when nothing fits."""
    want = _norm_locale(locale)
    if not want:
        return None
    keys = sorted(k for k in available if isinstance(k, str))
    for key in keys:
        if _norm_locale(key) == want:
            return key
    language = want.split("-")[0]
    for key in keys:
        if _norm_locale(key) == language:
            return key
    for key in keys:
        if _norm_locale(key).split("-")[0] == language:
            return key
    return None


def direction(locale: object) -> str:
    """Text direction: right to left for Arabic, Hebrew, Persian and Urdu (any region)."""
    return "rtl" if _norm_locale(locale).split("-")[0] in RTL_LANGUAGES else "ltr"

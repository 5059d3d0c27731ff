//! The words around a form ("Next", "There is a problem", …) in every
//! language a form ships in. Questions and options carry their own
//! translations in the form; these are the words around them, used by the
//! widget and by the collector's server-rendered page alike.

/// The widget's words in one language.
#[derive(Debug, PartialEq, Eq)]
pub struct Strings {
    /// Language code these strings are in.
    pub lang: &'static str,
    /// Name of the language in itself, for the language switch.
    pub name: &'static str,
    /// Whether the language is written right to left.
    pub rtl: bool,
    pub next: &'static str,
    pub back: &'static str,
    pub submit: &'static str,
    pub sending: &'static str,
    pub change: &'static str,
    pub check_answers: &'static str,
    pub not_answered: &'static str,
    pub yes: &'static str,
    pub optional: &'static str,
    pub there_is_a_problem: &'static str,
    pub error_prefix: &'static str,
    /// `{n}` and `{total}` are replaced.
    pub progress: &'static str,
    pub language: &'static str,
    pub loading: &'static str,
    pub load_failed: &'static str,
    pub send_failed: &'static str,
    pub saved_offline: &'static str,
    /// Answers kept while offline that the collector refused when they
    /// went out (the form changed meanwhile): shown above them, put back.
    pub answers_returned: &'static str,
    /// The button beside it that drops those answers (a shared device).
    pub discard_answers: &'static str,
    pub thank_you: &'static str,
    pub thank_you_body: &'static str,
    pub privacy: &'static str,
    pub required_choice: &'static str,
    pub required_multi: &'static str,
    pub required_text: &'static str,
    pub required_consent: &'static str,
    /// `{min}` and `{max}` are replaced.
    pub out_of_range: &'static str,
    /// `{n}` is replaced.
    pub too_many: &'static str,
    /// `{n}` is replaced.
    pub select_up_to: &'static str,
    pub exclusive: &'static str,
    /// `{n}` is replaced.
    pub too_long: &'static str,
    pub invalid: &'static str,
    pub no_answer: &'static str,
    /// For conditional questions on the page without JavaScript;
    /// `{question}` and `{answer}` are replaced.
    pub only_if: &'static str,
    /// A victim's invitation link that has already been answered.
    pub already_answered: &'static str,
    /// An invitation link that expired or was altered.
    pub link_expired: &'static str,
    /// Heading of the support numbers shown when free text reads as
    /// someone in danger (a form's `safeguarding`).
    pub help_title: &'static str,
    /// The line under it, before the numbers.
    pub help_intro: &'static str,
}

const EN: Strings = Strings {
    lang: "en",
    name: "English",
    rtl: false,
    next: "Next",
    back: "Back",
    submit: "Submit",
    sending: "Sending…",
    change: "Change",
    check_answers: "Check your answers before sending",
    not_answered: "Not answered",
    yes: "Yes",
    optional: "(optional)",
    there_is_a_problem: "There is a problem",
    error_prefix: "Error:",
    progress: "Question {n} of {total}",
    language: "Language",
    loading: "Loading the survey…",
    load_failed: "Sorry, the survey could not be loaded. Please try again later.",
    send_failed: "Sorry, your answers could not be sent. Please try again.",
    answers_returned: "Your earlier answers could not be sent, because the form has changed. Nothing was stored. Please check them and send them again.",
    discard_answers: "Delete these answers and start again",
    saved_offline: "Your answers are saved and will be sent when you are back online",
    thank_you: "Thank you",
    thank_you_body: "Your answers have been sent.",
    privacy: "How we use your answers",
    required_choice: "Select an answer",
    required_multi: "Select at least one answer",
    required_text: "Enter an answer",
    required_consent: "Tick the box to continue",
    out_of_range: "Select a number from {min} to {max}",
    too_many: "Select no more than {n} answers",
    select_up_to: "Select up to {n}",
    exclusive: "Select this answer on its own, or other answers without it",
    too_long: "Your answer must be {n} characters or fewer",
    invalid: "Check this answer",
    no_answer: "No answer",
    only_if: "Only if your answer to ‘{question}’ was ‘{answer}’",
    already_answered: "You have already answered this survey. Thank you: nothing more was stored.",
    link_expired: "This survey link has expired or is not valid, so nothing was stored.",
    help_title: "If you need help now",
    help_intro: "Answers to this form are not read straight away. If you or someone else is in danger or needs support, call one of these numbers.",
};

const PL: Strings = Strings {
    lang: "pl",
    name: "Polski",
    rtl: false,
    next: "Dalej",
    back: "Wstecz",
    submit: "Wyślij",
    sending: "Wysyłanie…",
    change: "Zmień",
    check_answers: "Sprawdź odpowiedzi przed wysłaniem",
    not_answered: "Brak odpowiedzi",
    yes: "Tak",
    optional: "(opcjonalnie)",
    there_is_a_problem: "Wystąpił problem",
    error_prefix: "Błąd:",
    progress: "Pytanie {n} z {total}",
    language: "Język",
    loading: "Wczytywanie ankiety…",
    load_failed: "Przepraszamy, nie udało się wczytać ankiety. Spróbuj ponownie później.",
    send_failed: "Przepraszamy, nie udało się wysłać odpowiedzi. Spróbuj ponownie.",
    answers_returned: "Nie udało się wysłać Twoich wcześniejszych odpowiedzi, ponieważ ankieta się zmieniła. Nic nie zostało zapisane. Sprawdź je i wyślij ponownie.",
    discard_answers: "Usuń te odpowiedzi i zacznij od nowa",
    saved_offline: "Twoje odpowiedzi są zapisane i zostaną wysłane, gdy znowu będziesz online",
    thank_you: "Dziękujemy",
    thank_you_body: "Twoje odpowiedzi zostały wysłane.",
    privacy: "Jak wykorzystujemy Twoje odpowiedzi",
    required_choice: "Wybierz odpowiedź",
    required_multi: "Wybierz co najmniej jedną odpowiedź",
    required_text: "Wpisz odpowiedź",
    required_consent: "Zaznacz pole, aby kontynuować",
    out_of_range: "Wybierz liczbę od {min} do {max}",
    too_many: "Wybierz nie więcej niż {n} odpowiedzi",
    select_up_to: "Wybierz maksymalnie {n}",
    exclusive: "Wybierz tę odpowiedź osobno albo inne odpowiedzi bez niej",
    too_long: "Odpowiedź może mieć najwyżej {n} znaków",
    invalid: "Sprawdź tę odpowiedź",
    no_answer: "Brak odpowiedzi",
    only_if: "Tylko jeśli Twoja odpowiedź na pytanie ‘{question}’ to ‘{answer}’",
    already_answered: "Ta ankieta została już wypełniona. Dziękujemy: nic więcej nie zapisano.",
    link_expired: "Ten link do ankiety wygasł lub jest nieprawidłowy, więc nic nie zapisano.",
    help_title: "Jeśli potrzebujesz pomocy teraz",
    help_intro: "Odpowiedzi na tę ankietę nie są czytane od razu. Jeśli Tobie lub komuś innemu grozi niebezpieczeństwo albo potrzebujesz wsparcia, zadzwoń pod jeden z tych numerów.",
};

const ES: Strings = Strings {
    lang: "es",
    name: "Español",
    rtl: false,
    next: "Siguiente",
    back: "Atrás",
    submit: "Enviar",
    sending: "Enviando…",
    change: "Cambiar",
    check_answers: "Revise sus respuestas antes de enviarlas",
    not_answered: "Sin responder",
    yes: "Sí",
    optional: "(opcional)",
    there_is_a_problem: "Hay un problema",
    error_prefix: "Error:",
    progress: "Pregunta {n} de {total}",
    language: "Idioma",
    loading: "Cargando la encuesta…",
    load_failed: "Lo sentimos, no se pudo cargar la encuesta. Inténtelo de nuevo más tarde.",
    send_failed: "Lo sentimos, no se pudieron enviar sus respuestas. Inténtelo de nuevo.",
    answers_returned: "No se pudieron enviar sus respuestas anteriores porque el formulario ha cambiado. No se ha guardado nada. Revíselas y vuelva a enviarlas.",
    discard_answers: "Borrar estas respuestas y empezar de nuevo",
    saved_offline: "Sus respuestas están guardadas y se enviarán cuando vuelva a tener conexión",
    thank_you: "Gracias",
    thank_you_body: "Sus respuestas se han enviado.",
    privacy: "Cómo usamos sus respuestas",
    required_choice: "Seleccione una respuesta",
    required_multi: "Seleccione al menos una respuesta",
    required_text: "Escriba una respuesta",
    required_consent: "Marque la casilla para continuar",
    out_of_range: "Seleccione un número del {min} al {max}",
    too_many: "Seleccione como máximo {n} respuestas",
    select_up_to: "Seleccione hasta {n}",
    exclusive: "Seleccione esta respuesta sola, u otras respuestas sin ella",
    too_long: "Su respuesta debe tener {n} caracteres o menos",
    invalid: "Revise esta respuesta",
    no_answer: "Sin respuesta",
    only_if: "Solo si su respuesta a ‘{question}’ fue ‘{answer}’",
    already_answered: "Ya ha respondido a esta encuesta. Gracias: no se ha guardado nada más.",
    link_expired:
        "Este enlace a la encuesta ha caducado o no es válido, así que no se ha guardado nada.",
    help_title: "Si necesita ayuda ahora",
    help_intro: "Las respuestas a este formulario no se leen de inmediato. Si usted u otra persona está en peligro o necesita apoyo, llame a uno de estos números.",
};

const BN: Strings = Strings {
    lang: "bn",
    name: "বাংলা",
    rtl: false,
    next: "পরবর্তী",
    back: "পিছনে",
    submit: "জমা দিন",
    sending: "পাঠানো হচ্ছে…",
    change: "পরিবর্তন করুন",
    check_answers: "পাঠানোর আগে আপনার উত্তরগুলো দেখে নিন",
    not_answered: "উত্তর দেওয়া হয়নি",
    yes: "হ্যাঁ",
    optional: "(ঐচ্ছিক)",
    there_is_a_problem: "একটি সমস্যা আছে",
    error_prefix: "ত্রুটি:",
    progress: "প্রশ্ন {n} / {total}",
    language: "ভাষা",
    loading: "জরিপ লোড হচ্ছে…",
    load_failed: "দুঃখিত, জরিপটি লোড করা যায়নি। পরে আবার চেষ্টা করুন।",
    send_failed: "দুঃখিত, আপনার উত্তর পাঠানো যায়নি। আবার চেষ্টা করুন।",
    answers_returned: "ফর্মটি বদলে যাওয়ায় আপনার আগের উত্তরগুলো পাঠানো যায়নি। কিছুই সংরক্ষণ করা হয়নি। অনুগ্রহ করে সেগুলো দেখে নিয়ে আবার পাঠান।",
    discard_answers: "এই উত্তরগুলো মুছে দিয়ে আবার শুরু করুন",
    saved_offline: "আপনার উত্তরগুলো সংরক্ষিত আছে এবং আপনি আবার অনলাইনে এলে পাঠানো হবে",
    thank_you: "ধন্যবাদ",
    thank_you_body: "আপনার উত্তরগুলো পাঠানো হয়েছে।",
    privacy: "আমরা আপনার উত্তর কীভাবে ব্যবহার করি",
    required_choice: "একটি উত্তর বেছে নিন",
    required_multi: "অন্তত একটি উত্তর বেছে নিন",
    required_text: "একটি উত্তর লিখুন",
    required_consent: "চালিয়ে যেতে বাক্সে টিক দিন",
    out_of_range: "{min} থেকে {max} এর মধ্যে একটি সংখ্যা বেছে নিন",
    too_many: "{n}টির বেশি উত্তর বেছে নেবেন না",
    select_up_to: "সর্বোচ্চ {n}টি বেছে নিন",
    exclusive: "এই উত্তরটি একা বেছে নিন, অথবা এটি ছাড়া অন্য উত্তর বেছে নিন",
    too_long: "আপনার উত্তর {n} অক্ষর বা তার কম হতে হবে",
    invalid: "এই উত্তরটি আবার দেখুন",
    no_answer: "কোনো উত্তর নেই",
    only_if: "শুধু যদি ‘{question}’ প্রশ্নের উত্তর ‘{answer}’ হয়",
    already_answered: "আপনি ইতিমধ্যে এই জরিপের উত্তর দিয়েছেন। ধন্যবাদ: আর কিছু সংরক্ষণ করা হয়নি।",
    link_expired: "এই জরিপের লিংকটির মেয়াদ শেষ হয়েছে বা এটি বৈধ নয়, তাই কিছু সংরক্ষণ করা হয়নি।",
    help_title: "এখনই সাহায্য দরকার হলে",
    help_intro: "এই ফর্মের উত্তর সঙ্গে সঙ্গে পড়া হয় না। আপনি বা অন্য কেউ বিপদে থাকলে বা সহায়তার দরকার হলে এই নম্বরগুলোর একটিতে কল করুন।",
};

const AR: Strings = Strings {
    lang: "ar",
    name: "العربية",
    rtl: true,
    next: "التالي",
    back: "رجوع",
    submit: "إرسال",
    sending: "جارٍ الإرسال…",
    change: "تغيير",
    check_answers: "راجع إجاباتك قبل الإرسال",
    not_answered: "لم تتم الإجابة",
    yes: "نعم",
    optional: "(اختياري)",
    there_is_a_problem: "هناك مشكلة",
    error_prefix: "خطأ:",
    progress: "السؤال {n} من {total}",
    language: "اللغة",
    loading: "جارٍ تحميل الاستبيان…",
    load_failed: "عذرًا، تعذّر تحميل الاستبيان. يرجى المحاولة لاحقًا.",
    send_failed: "عذرًا، تعذّر إرسال إجاباتك. يرجى المحاولة مرة أخرى.",
    answers_returned: "تعذّر إرسال إجاباتك السابقة لأن الاستبيان تغيّر. لم يُحفظ أي شيء. يُرجى مراجعتها وإرسالها مرة أخرى.",
    discard_answers: "احذف هذه الإجابات وابدأ من جديد",
    saved_offline: "تم حفظ إجاباتك وسيتم إرسالها عند عودتك إلى الاتصال بالإنترنت",
    thank_you: "شكرًا لك",
    thank_you_body: "تم إرسال إجاباتك.",
    privacy: "كيف نستخدم إجاباتك",
    required_choice: "اختر إجابة",
    required_multi: "اختر إجابة واحدة على الأقل",
    required_text: "اكتب إجابة",
    required_consent: "ضع علامة في المربع للمتابعة",
    out_of_range: "اختر رقمًا من {min} إلى {max}",
    too_many: "لا تختر أكثر من {n} إجابات",
    select_up_to: "اختر حتى {n}",
    exclusive: "اختر هذه الإجابة وحدها، أو إجابات أخرى بدونها",
    too_long: "يجب ألا تزيد إجابتك عن {n} حرفًا",
    invalid: "تحقق من هذه الإجابة",
    no_answer: "لا توجد إجابة",
    only_if: "فقط إذا كانت إجابتك عن ‘{question}’ هي ‘{answer}’",
    already_answered: "لقد أجبت على هذا الاستبيان بالفعل. شكرًا لك: لم يُحفظ أي شيء آخر.",
    link_expired: "انتهت صلاحية رابط الاستبيان هذا أو أنه غير صالح، لذلك لم يُحفظ أي شيء.",
    help_title: "إذا كنت بحاجة إلى مساعدة الآن",
    help_intro: "لا تُقرأ الإجابات على هذا النموذج فورًا. إذا كنت أنت أو شخص آخر في خطر أو بحاجة إلى دعم، فاتصل بأحد هذه الأرقام.",
};

/// Every language the widget's words come in.
pub const ALL: [&Strings; 5] = [&EN, &PL, &ES, &BN, &AR];

/// The words a printed poster puts around its QR code, in one language.
/// Kept apart from [`Strings`]: only the collector prints posters, so the
/// widget a phone downloads does not carry them.
#[derive(Debug, PartialEq, Eq)]
pub struct PosterStrings {
    /// Language code these strings are in.
    pub lang: &'static str,
    /// Under the QR code.
    pub scan: &'static str,
    /// Before the short address, for those who cannot scan.
    pub or_type: &'static str,
}

/// The poster's words in every language the widget's words come in, in
/// the order of [`ALL`].
pub const POSTER: [PosterStrings; 5] = [
    PosterStrings {
        lang: "en",
        scan: "Scan with your phone camera",
        or_type: "or type this address",
    },
    PosterStrings {
        lang: "pl",
        scan: "Zeskanuj aparatem w telefonie",
        or_type: "lub wpisz ten adres",
    },
    PosterStrings {
        lang: "es",
        scan: "Escanee con la cámara de su teléfono",
        or_type: "o escriba esta dirección",
    },
    PosterStrings {
        lang: "bn",
        scan: "আপনার ফোনের ক্যামেরা দিয়ে স্ক্যান করুন",
        or_type: "অথবা এই ঠিকানাটি লিখুন",
    },
    PosterStrings {
        lang: "ar",
        scan: "امسح الرمز بكاميرا هاتفك",
        or_type: "أو اكتب هذا العنوان",
    },
];

/// The poster's words for `lang` (`pl-PL` finds `pl`); none for a
/// language they do not come in, so a poster does not print English twice.
pub fn poster_strings(lang: &str) -> Option<&'static PosterStrings> {
    let base = lang.split(['-', '_']).next().unwrap_or(lang);
    POSTER.iter().find(|s| s.lang.eq_ignore_ascii_case(base))
}

/// The widget's words for `lang` (`pl-PL` finds `pl`), English otherwise.
pub fn strings(lang: &str) -> &'static Strings {
    let base = lang.split(['-', '_']).next().unwrap_or(lang);
    ALL.iter()
        .find(|s| s.lang.eq_ignore_ascii_case(base))
        .copied()
        .unwrap_or(&EN)
}

/// Whether `lang` is written right to left (Arabic, Hebrew, Persian, Urdu).
pub fn is_rtl(lang: &str) -> bool {
    let base = lang.split(['-', '_']).next().unwrap_or(lang);
    matches!(base, "ar" | "he" | "fa" | "ur" | "yi" | "ps" | "dv")
}

/// The name of `lang` in itself, or the code when unknown.
pub fn lang_name(lang: &str) -> &str {
    match ALL.iter().find(|s| s.lang == lang) {
        Some(s) => s.name,
        None => lang,
    }
}

/// What a question's hint says beyond its own words: "Select up to 2"
/// when a multiple-choice question limits the picks, and the labelled
/// values of a scale longer than five points ("0 = Not at all, 10 =
/// Completely"). `t` gives a form's text in the person's language.
pub fn hint_extras(
    q: &survey::Question,
    s: &Strings,
    t: impl Fn(&survey::Text) -> String,
) -> (Option<String>, Option<String>) {
    use survey::Kind;
    let up_to = match &q.kind {
        Kind::MultipleChoice {
            max_choices: Some(m),
            options,
        } if (*m as usize) < options.len() => Some(fill(s.select_up_to, &[("n", &m.to_string())])),
        _ => None,
    };
    let ends = match &q.kind {
        Kind::Scale {
            min, max, labels, ..
        } if max - min > 5 && !labels.is_empty() => Some(
            labels
                .iter()
                .map(|l| format!("{} = {}", l.value, t(&l.text)))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        _ => None,
    };
    (up_to, ends)
}

/// A question's whole hint, as the widget and the hosted page both show
/// it: its own words, then (with `conditions`, where every question is on
/// the page whatever the earlier answers) when it applies, then
/// [`hint_extras`]. `t` gives a form's text in the person's language.
pub fn hint(
    form: &survey::Form,
    q: &survey::Question,
    s: &Strings,
    t: impl Fn(&survey::Text) -> String,
    conditions: bool,
) -> Option<String> {
    let mut parts: Vec<String> = q.hint.iter().map(&t).collect();
    if let Some(cond) = q.show_if.as_ref().filter(|_| conditions) {
        if let Some(earlier) = form.question(&cond.question) {
            let answers: Vec<String> = cond
                .any_of
                .iter()
                .map(|a| match a {
                    survey::Atom::Str(id) => earlier
                        .options()
                        .iter()
                        .find(|o| &o.id == id)
                        .map_or_else(|| id.clone(), |o| t(&o.text)),
                    survey::Atom::Int(n) => n.to_string(),
                    survey::Atom::Bool(_) => s.yes.to_owned(),
                })
                .collect();
            parts.push(fill(
                s.only_if,
                &[
                    ("question", &t(&earlier.text)),
                    ("answer", &answers.join(" / ")),
                ],
            ));
        }
    }
    let (up_to, ends) = hint_extras(q, s, &t);
    parts.extend(up_to);
    parts.extend(ends);
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// Fills `{name}` placeholders.
pub fn fill(template: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (k, v) in pairs {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// A problem worded for the person, in the language of `s`.
pub fn message(q: &survey::Question, code: survey::ProblemKind, s: &Strings) -> String {
    use survey::{Kind, ProblemKind};
    match (code, &q.kind) {
        (ProblemKind::Required, Kind::MultipleChoice { .. }) => s.required_multi.into(),
        (ProblemKind::Required, Kind::Text { .. }) => s.required_text.into(),
        (ProblemKind::Required, Kind::Consent {}) => s.required_consent.into(),
        (ProblemKind::Required, _) => s.required_choice.into(),
        (
            ProblemKind::TooMany,
            Kind::MultipleChoice {
                max_choices: Some(m),
                ..
            },
        ) => fill(s.too_many, &[("n", &m.to_string())]),
        (ProblemKind::Exclusive, _) => s.exclusive.into(),
        (ProblemKind::OutOfRange, Kind::Scale { min, max, .. }) => fill(
            s.out_of_range,
            &[("min", &min.to_string()), ("max", &max.to_string())],
        ),
        (ProblemKind::TooLong, Kind::Text { max_length, .. }) => {
            fill(s.too_long, &[("n", &max_length.to_string())])
        }
        _ => s.invalid.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_hint_says_when_a_question_applies_only_where_all_show() {
        let form = survey::Form::from_value(&serde_json::json!({
            "id": "f", "title": "T", "default_lang": "en", "languages": ["en"],
            "privacy_notice": "P", "not_for_reporting": "N",
            "questions": [
                {"id": "v", "kind": "single_choice", "text": "Victim?",
                 "options": [{"id": "yes", "text": "Yes"}, {"id": "no", "text": "No"}]},
                {"id": "why", "kind": "multiple_choice", "text": "Why", "hint": "Pick any.",
                 "max_choices": 1, "show_if": {"question": "v", "any_of": ["yes"]},
                 "options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}]}
            ]
        }))
        .unwrap();
        let t = |x: &survey::Text| x.get("en", "en").to_owned();
        let s = strings("en");
        let q = &form.questions[1];
        assert_eq!(
            hint(&form, q, s, t, true).as_deref(),
            Some("Pick any. Only if your answer to ‘Victim?’ was ‘Yes’ Select up to 1")
        );
        assert_eq!(
            hint(&form, q, s, t, false).as_deref(),
            Some("Pick any. Select up to 1")
        );
        assert_eq!(hint(&form, &form.questions[0], s, t, true), None);
    }

    #[test]
    fn hints_say_the_limit_and_the_ends_of_long_scales() {
        let form = survey::Form::from_value(&serde_json::json!({
            "id": "f", "title": "T", "default_lang": "en", "languages": ["en"],
            "privacy_notice": "P", "not_for_reporting": "N",
            "questions": [
                {"id": "pick", "kind": "multiple_choice", "text": "Pick", "max_choices": 2,
                 "options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}, {"id": "c", "text": "C"}]},
                {"id": "all", "kind": "multiple_choice", "text": "All", "max_choices": 2,
                 "options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}]},
                {"id": "ten", "kind": "scale", "text": "Ten", "min": 0, "max": 10,
                 "labels": [{"value": 0, "text": "Not at all"}, {"value": 10, "text": "Completely"}]},
                {"id": "five", "kind": "scale", "text": "Five", "min": 1, "max": 5,
                 "labels": [{"value": 1, "text": "Low"}]}
            ]
        }))
        .unwrap();
        let t = |x: &survey::Text| x.get("en", "en").to_owned();
        let s = strings("en");
        let extras: Vec<_> = form
            .questions
            .iter()
            .map(|q| hint_extras(q, s, t))
            .collect();
        assert_eq!(extras[0], (Some("Select up to 2".into()), None));
        assert_eq!(extras[1], (None, None), "no limit worth saying");
        assert_eq!(
            extras[2],
            (None, Some("0 = Not at all, 10 = Completely".into()))
        );
        assert_eq!(
            extras[3],
            (None, None),
            "a short scale shows its labels itself"
        );
    }

    #[test]
    fn finds_language_by_base_and_falls_back_to_english() {
        assert_eq!(strings("pl-PL").next, "Dalej");
        assert_eq!(strings("AR").lang, "ar");
        assert_eq!(strings("fr").lang, "en");
    }

    #[test]
    fn only_arabic_of_the_five_is_right_to_left() {
        for s in ALL {
            assert_eq!(s.rtl, s.lang == "ar", "{}", s.lang);
            assert_eq!(s.rtl, is_rtl(s.lang));
        }
    }

    #[test]
    fn every_language_has_every_string_and_placeholder() {
        for s in ALL {
            for t in [
                s.next,
                s.back,
                s.submit,
                s.there_is_a_problem,
                s.saved_offline,
                s.thank_you,
                s.help_title,
                s.help_intro,
            ] {
                assert!(!t.trim().is_empty(), "{}", s.lang);
            }
            assert!(
                s.progress.contains("{n}") && s.progress.contains("{total}"),
                "{}",
                s.lang
            );
            assert!(s.out_of_range.contains("{min}") && s.out_of_range.contains("{max}"));
            assert!(s.too_long.contains("{n}") && s.too_many.contains("{n}"));
            assert!(s.select_up_to.contains("{n}"));
            assert!(s.only_if.contains("{question}") && s.only_if.contains("{answer}"));
        }
    }

    #[test]
    fn the_poster_has_its_words_in_every_language() {
        assert_eq!(POSTER.len(), ALL.len());
        for (p, s) in POSTER.iter().zip(ALL) {
            assert_eq!(p.lang, s.lang);
            assert!(!p.scan.trim().is_empty(), "{}", p.lang);
            assert!(!p.or_type.trim().is_empty(), "{}", p.lang);
            assert_eq!(poster_strings(s.lang), Some(p));
        }
        assert_eq!(poster_strings("pl-PL").map(|p| p.lang), Some("pl"));
        assert_eq!(poster_strings("fr"), None);
    }

    #[test]
    fn fills_placeholders() {
        assert_eq!(
            fill(EN.progress, &[("n", "2"), ("total", "7")]),
            "Question 2 of 7"
        );
    }
}

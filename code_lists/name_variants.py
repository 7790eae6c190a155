"""Common spelling variants of the same name: romanisations of Arabic, Urdu, Bengali, Chinese and Slavic names,
and English spellings of the same name.

Public, non-personal reference data: each group is one name as registrars, schools and hospitals write it in
several Latin spellings (e.g. the many romanisations of Muhammad listed in the ONS baby names tables, where each
spelling is counted apart). The generator records a name in another spelling of its group, and linkage can treat
two spellings of one group as the same name, without importing the generator.
"""

from __future__ import annotations

NAME_VARIANT_GROUPS: tuple[tuple[str, ...], ...] = (
    # Arabic and South Asian Muslim given names
    ("Muhammad", "Mohammed", "Mohammad", "Mohamed", "Muhammed", "Mohamad", "Mohammod"),
    ("Ahmed", "Ahmad", "Ahmet"),
    ("Mahmoud", "Mahmood", "Mahmud"),
    ("Mustafa", "Mostafa", "Moustafa"),
    ("Yusuf", "Yousuf", "Yousef", "Yusef", "Youssef"),
    ("Ibrahim", "Ebrahim", "Ibraheem"),
    ("Abdullah", "Abdulla", "Abdallah"),
    ("Abdul", "Abdool", "Abdal"),
    ("Omar", "Umar", "Omer"),
    ("Osman", "Usman", "Othman", "Uthman"),
    ("Hassan", "Hasan"),
    ("Hussain", "Hussein", "Husain", "Hossain"),
    ("Hamza", "Hamzah"),
    ("Zakaria", "Zakariya", "Zakariyya", "Zachariah"),
    ("Khalid", "Khaled"),
    ("Rashid", "Rasheed", "Rashed"),
    ("Tariq", "Tarik", "Tarek"),
    ("Yasin", "Yaseen", "Yassin"),
    ("Idris", "Idrees", "Idriss"),
    ("Ismail", "Ismael", "Esmail"),
    ("Karim", "Kareem"),
    ("Rahman", "Rehman", "Rahmaan"),
    ("Aisha", "Ayesha", "Aysha", "Aishah"),
    ("Fatima", "Fatimah", "Fatma"),
    ("Khadija", "Khadijah", "Khadeja"),
    ("Maryam", "Mariam", "Maryum"),
    ("Zainab", "Zaynab", "Zenab"),
    ("Amina", "Aminah", "Ameena"),
    ("Noor", "Nur", "Nour"),
    ("Hana", "Hanaa", "Hanna"),
    ("Safiya", "Safiyah", "Safia"),
    ("Yasmin", "Yasmeen", "Jasmin"),
    ("Sumaya", "Sumayyah", "Somaya"),
    ("Ruqayyah", "Ruqaya", "Rukaya"),
    ("Begum", "Begom"),
    ("Chowdhury", "Choudhury", "Chaudhry", "Chaudhary", "Choudhry"),
    ("Miah", "Meah", "Miya"),
    ("Uddin", "Udin", "Uddeen"),
    ("Islam", "Eslam"),
    ("Qureshi", "Kureshi", "Quraishi"),
    ("Siddiqui", "Siddiqi", "Sidiqui"),
    # South Asian (Hindu, Sikh) names
    ("Mohan", "Mohun"),
    ("Kaur", "Kour"),
    ("Singh", "Sing"),
    ("Sharma", "Sarma"),
    ("Chaudhari", "Choudhari"),
    ("Lakshmi", "Laxmi"),
    ("Krishna", "Krisna"),
    ("Priya", "Preeya"),
    # Chinese surnames in pinyin and Cantonese/older romanisations
    ("Chen", "Chan", "Chin"),
    ("Zhang", "Cheung", "Chang"),
    ("Huang", "Wong", "Hwang"),
    ("Wang", "Wong"),
    ("Li", "Lee", "Lei"),
    ("Liu", "Lau", "Lew"),
    ("Zhou", "Chow", "Chou"),
    ("Wu", "Ng", "Woo"),
    ("Lin", "Lam", "Lim"),
    ("Zheng", "Cheng", "Tay"),
    ("Xu", "Hsu", "Tsui"),
    ("He", "Ho", "Hoh"),
    # Slavic and Romanian names written in English spellings
    ("Aleksander", "Alexander", "Aleksandr"),
    ("Aleksandra", "Alexandra"),
    ("Katarzyna", "Katarina", "Katherina"),
    ("Wojciech", "Wojtek"),
    ("Mihai", "Mihail", "Mikhail"),
    ("Ionut", "Ionuț"),
    ("Andrei", "Andrey", "Andrej"),
    ("Nikola", "Nicola", "Nicolae"),
    ("Yuliya", "Yulia", "Julia", "Iuliia"),
    ("Natalia", "Nataliya", "Natalya"),
    ("Sergei", "Sergey", "Serghei"),
    # African names with common alternative spellings
    ("Oluwaseun", "Oluwaseyi", "Seun"),
    ("Kwame", "Kwami"),
    ("Abimbola", "Abimbolah"),
    ("Chukwuemeka", "Chukwuemeke", "Emeka"),
    ("Mohamud", "Mohamoud", "Maxamed"),
    ("Abdirahman", "Abdurahman", "Abdirahmaan"),
    # English names with several spellings
    ("Zachary", "Zakary", "Zackary"),
    ("Sophie", "Sofie", "Sophy"),
    ("Isabel", "Isobel", "Isabelle"),
    ("Leah", "Lea", "Lia"),
    ("Jayden", "Jaden", "Jaiden"),
)


def _variants(groups: tuple[tuple[str, ...], ...]) -> dict[str, tuple[str, ...]]:
    """Each spelling and the other spellings of its groups: a spelling in two groups (Wong) takes both."""
    variants: dict[str, tuple[str, ...]] = {}
    for group in groups:
        for name in group:
            variants[name] = tuple(dict.fromkeys((*variants.get(name, ()), *(other for other in group if other != name))))
    return variants


NAME_VARIANTS: dict[str, tuple[str, ...]] = _variants(NAME_VARIANT_GROUPS)

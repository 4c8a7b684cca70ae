"""Small list files written in the official EU and UK layouts (no real EU/UK file is available
to the tests) and helpers shared by the screening tests."""

from __future__ import annotations

from pathlib import Path

EU_XML = """<?xml version="1.0" encoding="UTF-8"?>
<export xmlns="http://eu.europa.ec/fpi/fsd/export" generationDate="2026-03-02T18:00:00.000+01:00" globalFileId="1">
  <sanctionEntity designationDetails="" unitedNationId="" euReferenceNumber="EU.9001.01" logicalId="9001">
    <remark>Fictional test entry.</remark>
    <regulation regulationType="regulation" programme="TEST" publicationDate="2026-01-01"/>
    <subjectType code="person" classificationCode="P"/>
    <nameAlias firstName="Ivan" middleName="" lastName="Testovich" wholeName="Ivan Testovich" strong="true" logicalId="1"/>
    <nameAlias wholeName="Иван Тестович" strong="true" logicalId="2"/>
    <nameAlias wholeName="Vanya" strong="false" logicalId="3"/>
    <citizen countryIso2Code="RU" countryDescription="RUSSIAN FEDERATION"/>
    <birthdate birthdate="1970-05-01" year="1970"/>
    <identification identificationTypeCode="passport" number="7100000001" countryDescription="RUSSIAN FEDERATION"/>
  </sanctionEntity>
  <sanctionEntity euReferenceNumber="EU.9002.02" logicalId="9002">
    <regulation programme="TEST"/>
    <subjectType code="enterprise" classificationCode="E"/>
    <nameAlias wholeName="Testbank Open Joint Stock Company" strong="true"/>
    <address street="1 Test Street" city="Testgrad" countryIso2Code="BY" countryDescription="BELARUS"/>
    <identification identificationTypeCode="swiftbic" number="TSTBBY2X"/>
  </sanctionEntity>
</export>
"""

EU_CSV_HEADER = (
    "fileGenerationDate;Entity_LogicalId;Entity_EU_ReferenceNumber;Entity_UnitedNationId;Entity_DesignationDate;"
    "Entity_DesignationDetails;Entity_Remark;Entity_SubjectType;Entity_SubjectType_ClassificationCode;"
    "Entity_Regulation_Type;Entity_Regulation_OrganisationType;Entity_Regulation_PublicationDate;"
    "Entity_Regulation_EntryIntoForceDate;Entity_Regulation_NumberTitle;Entity_Regulation_Programme;"
    "Entity_Regulation_PublicationUrl;NameAlias_LastName;NameAlias_FirstName;NameAlias_MiddleName;"
    "NameAlias_WholeName;NameAlias_NameLanguage;NameAlias_Gender;NameAlias_Title;NameAlias_Function;"
    "NameAlias_LogicalId;NameAlias_RegulationLanguage;NameAlias_Remark;Address_City;Address_Street;"
    "Address_ZipCode;Address_CountryIso2Code;Address_CountryDescription;Identification_Number;"
    "Identification_TypeCode;Identification_TypeDescription"
)
EU_CSV = "\n".join([
    EU_CSV_HEADER,
    "02/03/2026;9001;EU.9001.01;;2026-01-01;;;person;P;regulation;council;2026-01-01;2026-01-01;1/2026;TEST;"
    "http://example.test/;Testovich;Ivan;;Ivan Testovich;;M;;;1;en;;;;;;;;;",
    "02/03/2026;9001;EU.9001.01;;2026-01-01;;;person;P;regulation;council;2026-01-01;2026-01-01;1/2026;TEST;"
    "http://example.test/;;;;Иван Тестович;ru;M;;;2;en;;;;;;;7100000001;passport;Passport",
    "02/03/2026;9002;EU.9002.02;;2026-01-01;;;enterprise;E;regulation;council;2026-01-01;2026-01-01;1/2026;TEST;"
    "http://example.test/;;;;Testbank OJSC;;;;;3;en;;Testgrad;1 Test Street;;BY;BELARUS;TSTBBY2X;swiftbic;SWIFT BIC",
]) + "\n"

UK_HEADER = (
    "Last Updated,Unique ID,OFSI Group ID,UN Reference Number,Name 6,Name 1,Name 2,Name 3,Name 4,Name 5,"
    "Name type,Alias strength,Title,Name non-latin script,Non-latin script type,Non-latin script language,"
    "Regime Name,Designation Type,Designation source,Sanctions Imposed,Other Information,UK Statement of Reasons,"
    "Address Line 1,Address Line 2,Address Line 3,Address Line 4,Address Line 5,Address Line 6,"
    "Address Postal Code,Address Country,Phone number,Website,Email address,Date Designated,D.O.B,"
    "Nationality(/ies),National Identifier number,National Identifier additional information,Passport number,"
    "Passport additional information,Position,Gender,Town of birth,Country of birth,Type of entity,Subsidiaries,"
    "Parent company,Business registration number (s),IMO number,Current owner/operator (s),"
    "Previous owner/operator (s),Current believed flag of ship,Previous flags,Type of ship,Tonnage of ship,"
    "Length of ship,Year Built,Hull identification number (HIN)"
)


def uk_row(values: dict[str, str]) -> str:
    columns = UK_HEADER.split(",")
    cells = [values.get(c, "") for c in columns]
    return ",".join(f'"{c}"' if "," in c else c for c in cells)


UK_CSV = "\n".join([
    "Report Date: 02-Mar-2026",
    UK_HEADER,
    uk_row({"Unique ID": "TST0001", "Name 6": "TESTOVA", "Name 1": "Maria", "Name type": "Primary Name",
            "Regime Name": "Test Regime", "Designation Type": "Individual", "Nationality(/ies)": "Russia",
            "D.O.B": "01/02/1980", "Name non-latin script": "Мария Тестова"}),
    uk_row({"Unique ID": "TST0001", "Name 6": "TESTOVA", "Name 1": "Masha", "Name type": "Alias",
            "Alias strength": "Low quality", "Regime Name": "Test Regime", "Designation Type": "Individual"}),
    uk_row({"Unique ID": "TST0002", "Name 6": "SEA TESTER", "Name type": "Primary Name", "Regime Name": "Test Regime",
            "Designation Type": "Ship", "IMO number": "9999985", "Current believed flag of ship": "Testland"}),
    uk_row({"Unique ID": "TST0002", "Name 6": "OCEAN TESTER", "Name type": "Alias", "Regime Name": "Test Regime",
            "Designation Type": "Ship", "IMO number": "9999985"}),
]) + "\n"

OFAC_XML = """<?xml version="1.0" standalone="yes"?>
<sdnList xmlns="http://tempuri.org/sdnList.xsd">
  <publshInformation><Publish_Date>03/02/2026</Publish_Date><Record_Count>2</Record_Count></publshInformation>
  <sdnEntry>
    <uid>900101</uid><firstName>Pyotr</firstName><lastName>TESTOV</lastName><sdnType>Individual</sdnType>
    <programList><program>TEST</program></programList>
    <akaList><aka><uid>1</uid><type>a.k.a.</type><category>weak</category><lastName>PETYA</lastName></aka></akaList>
    <nationalityList><nationality><uid>2</uid><country>Russia</country><mainEntry>true</mainEntry></nationality></nationalityList>
  </sdnEntry>
  <sdnEntry>
    <uid>900102</uid><lastName>TEST CARRIER</lastName><sdnType>Vessel</sdnType>
    <programList><program>TEST</program></programList>
    <idList><id><uid>3</uid><idType>Vessel Registration Identification</idType><idNumber>IMO 9999978</idNumber></id></idList>
    <vesselInfo><callSign>TST1</callSign><vesselFlag>Testland</vesselFlag></vesselInfo>
  </sdnEntry>
</sdnList>
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def truncated_copy(source: Path, target: Path, keep: float = 0.5) -> Path:
    """The first ``keep`` share of a file, cut mid-line, as a failed download leaves it."""
    data = source.read_bytes()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data[: int(len(data) * keep)])
    return target

// Prints every OWL 2 DL profile violation of an ontology file, one a line, then "violations: N".
// Run: java -cp '/usr/share/java/*' tests/owl/ProfileCheck.java FILE  (Debian libowlapi-java; tests/test_ontology.py)
import java.io.File;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileReport;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;

public class ProfileCheck {
    public static void main(String[] args) throws Exception {
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        OWLOntology ontology = manager.loadOntologyFromOntologyDocument(new File(args[0]));
        OWLProfileReport report = new OWL2DLProfile().checkOntology(ontology);
        for (OWLProfileViolation violation : report.getViolations()) {
            System.out.println(violation.getClass().getSimpleName() + ": " + violation);
        }
        System.out.println("violations: " + report.getViolations().size());
    }
}
